using System.Runtime.CompilerServices;
using System.Threading.Tasks;

namespace Spindle.Diagnostics;

/// <summary>
/// Reads the object and token behind a <see cref="ValueTask"/> without consuming it (no public API
/// does). <see cref="UnsafeAccessorAttribute"/> binds to the BCL's private fields at compile time of
/// the JIT/AOT, so it stays trim- and AOT-safe; the fields have had these names since .NET Core 2.1.
/// </summary>
internal static class ValueTaskAccess
{
    public static object? GetObject(ValueTask task, out short token)
    {
        token = Token(ref task);
        return Obj(ref task);
    }

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_obj")]
    private static extern ref object? Obj(ref ValueTask task);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_token")]
    private static extern ref short Token(ref ValueTask task);
}

/// <summary>The <see cref="ValueTask{TResult}"/> form of <see cref="ValueTaskAccess"/>.</summary>
/// <typeparam name="T">The result type.</typeparam>
internal static class ValueTaskAccess<T>
{
    public static object? GetObject(ValueTask<T> task, out short token)
    {
        token = Token(ref task);
        return Obj(ref task);
    }

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_obj")]
    private static extern ref object? Obj(ref ValueTask<T> task);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_token")]
    private static extern ref short Token(ref ValueTask<T> task);
}

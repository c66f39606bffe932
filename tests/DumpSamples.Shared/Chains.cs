using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using Spindle.Sync;

#if OPTIMIZED
namespace DumpSamples.Optimized;
#else
namespace DumpSamples.Unoptimized;
#endif

/// <summary>
/// Async chains for task-dump tests, compiled twice from this one file: optimized (state machines
/// are structs) and unoptimized as in a Debug build (state machines are classes). Each awaited line
/// ends with a <c>// @marker</c> comment the tests look up.
/// </summary>
public static class Chains
{
    /// <summary>Gets whether this copy was compiled with the JIT optimizer enabled.</summary>
    public static bool IsOptimized =>
        typeof(Chains).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled != true;

    /// <summary>Gets whether the compiler made this copy's async state machines structs (it does when optimizing).</summary>
    public static bool StateMachinesAreStructs =>
        typeof(Chains).GetMethod(nameof(OuterAsync), BindingFlags.NonPublic | BindingFlags.Static)!
            .GetCustomAttribute<AsyncStateMachineAttribute>()!.StateMachineType.IsValueType;

    /// <summary>Gets the path the compiler recorded for this file.</summary>
    public static string SourcePath => Here();

    /// <summary>A lambda over a Task method over a ValueTask method (ConfigureAwait(false)) over a generic class's generic method over a local function waiting on <paramref name="notify"/>.</summary>
    public static Func<Task> Nested(Notify notify) => async () =>
    {
        await OuterAsync(notify); // @d-root
    };

    /// <summary>Sums the items of an async iterator that waits on <paramref name="notify"/>.</summary>
    public static async Task<int> SumAsync(Notify notify)
    {
        int sum = 0;
        await foreach (int item in TicksAsync(notify)) // @d-foreach
        {
            sum += item;
        }

        return sum;
    }

    private static string Here([CallerFilePath] string path = "") => path;

    private static async Task OuterAsync(Notify notify)
    {
        await MiddleAsync(notify); // @d-outer
    }

    private static async ValueTask<int> MiddleAsync(Notify notify)
    {
        await Holder<int>.InnerAsync<string>(notify).ConfigureAwait(false); // @d-middle
        return 1;
    }

    private static async IAsyncEnumerable<int> TicksAsync(Notify notify)
    {
        await notify.NotifiedAsync(); // @d-iterator
        yield return 3;
    }

    private static class Holder<T>
    {
        public static async Task InnerAsync<TU>(Notify notify)
        {
            await WaitHereAsync(); // @d-inner

            async Task WaitHereAsync()
            {
                await notify.NotifiedAsync(); // @d-local
            }
        }
    }
}

using System;
using System.Text;

namespace Spindle.Diagnostics;

/// <summary>
/// Readable names for compiler-generated async state machines: <c>&lt;RunAsync&gt;d__3</c> →
/// <c>Worker.RunAsync</c>, <c>&lt;&lt;Main&gt;b__0_0&gt;d</c> → <c>Program.Main.lambda</c>,
/// <c>&lt;&lt;Main&gt;g__Inner|0_1&gt;d</c> → <c>Program.Main.Inner</c>, generic arguments in C# syntax.
/// </summary>
internal static class AsyncMethodNames
{
    public static string For(Type stateMachine)
    {
        string kickoff = KickoffName(stateMachine.Name);
        Type? owner = stateMachine.DeclaringType;
        while (owner is not null && owner.Name.StartsWith('<'))
        {
            owner = owner.DeclaringType;
        }

        Type[] args = stateMachine.IsGenericType ? stateMachine.GetGenericArguments() : [];
        int ownerArity = owner is null ? 0 : (owner.IsGenericType ? owner.GetGenericArguments().Length : 0);
        var builder = new StringBuilder();
        if (owner is not null)
        {
            AppendType(builder, owner, args.AsSpan(0, Math.Min(ownerArity, args.Length)));
            builder.Append('.');
        }

        builder.Append(Pretty(kickoff));
        if (args.Length > ownerArity)
        {
            AppendArgs(builder, args.AsSpan(ownerArity));
        }

        return builder.ToString();
    }

    /// <summary><c>&lt;X&gt;d__3</c> → <c>X</c>; anything else is kept.</summary>
    private static string KickoffName(string name)
    {
        int close = name.LastIndexOf('>');
        return name.StartsWith('<') && close > 1 ? name[1..close] : name;
    }

    /// <summary><c>&lt;Main&gt;b__0_0</c> → <c>Main.lambda</c>, <c>&lt;Main&gt;g__Inner|0_1</c> → <c>Main.Inner</c>, recursively.</summary>
    private static string Pretty(string name)
    {
        if (!name.StartsWith('<'))
        {
            return name;
        }

        int depth = 0;
        int close = -1;
        for (int i = 0; i < name.Length; i++)
        {
            depth += name[i] == '<' ? 1 : name[i] == '>' ? -1 : 0;
            if (depth == 0)
            {
                close = i;
                break;
            }
        }

        if (close < 0 || close + 2 >= name.Length)
        {
            return name;
        }

        string outer = Pretty(name[1..close]);
        string rest = name[(close + 1)..];
        if (rest.StartsWith("g__", StringComparison.Ordinal))
        {
            int bar = rest.IndexOf('|', StringComparison.Ordinal);
            return outer + "." + (bar > 3 ? rest[3..bar] : rest[3..]);
        }

        return rest.StartsWith("b__", StringComparison.Ordinal) ? outer + ".lambda" : outer + "." + rest;
    }

    private static void AppendType(StringBuilder builder, Type type, ReadOnlySpan<Type> args)
    {
        int parentArity = 0;
        if (type.DeclaringType is { } parent && !type.IsGenericParameter)
        {
            parentArity = parent.IsGenericType ? Math.Min(parent.GetGenericArguments().Length, args.Length) : 0;
            AppendType(builder, parent, args[..parentArity]);
            builder.Append('.');
        }

        string name = type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        builder.Append(tick < 0 ? name : name[..tick]);
        if (args.Length > parentArity)
        {
            AppendArgs(builder, args[parentArity..]);
        }
    }

    private static void AppendArgs(StringBuilder builder, ReadOnlySpan<Type> args)
    {
        builder.Append('<');
        for (int i = 0; i < args.Length; i++)
        {
            if (i > 0)
            {
                builder.Append(", ");
            }

            AppendArgument(builder, args[i]);
        }

        builder.Append('>');
    }

    private static void AppendArgument(StringBuilder builder, Type type)
    {
        string? keyword = Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => "bool",
            TypeCode.Byte => "byte",
            TypeCode.SByte => "sbyte",
            TypeCode.Char => "char",
            TypeCode.Int16 => "short",
            TypeCode.UInt16 => "ushort",
            TypeCode.Int32 => "int",
            TypeCode.UInt32 => "uint",
            TypeCode.Int64 => "long",
            TypeCode.UInt64 => "ulong",
            TypeCode.Single => "float",
            TypeCode.Double => "double",
            TypeCode.Decimal => "decimal",
            TypeCode.String => "string",
            _ => type == typeof(object) ? "object" : null,
        };
        if (type.IsEnum)
        {
            keyword = null;
        }

        if (keyword is not null)
        {
            builder.Append(keyword);
        }
        else if (type.IsArray)
        {
            AppendArgument(builder, type.GetElementType()!);
            builder.Append('[').Append(',', type.GetArrayRank() - 1).Append(']');
        }
        else if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            AppendType(builder, type, type.GetGenericArguments());
        }
        else
        {
            AppendType(builder, type, []);
        }
    }

    /// <summary>A readable name for any awaitable's type, e.g. <c>Task&lt;int&gt;</c>.</summary>
    public static string ForType(Type type)
    {
        var builder = new StringBuilder();
        AppendArgument(builder, type);
        return builder.ToString();
    }
}

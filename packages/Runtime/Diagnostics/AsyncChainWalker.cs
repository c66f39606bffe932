using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using Spindle.Scheduling;

namespace Spindle.Diagnostics;

/// <summary>
/// Walks a task's logical async call chain from its root down to the leaf it waits on, by reading
/// the compiler's state machines. Never calls user code (only BCL getters and field reads), never
/// throws: anything unexpected ends the chain with a note.
/// </summary>
/// <remarks>
/// <para>
/// One step: the awaitable object (an <c>AsyncStateMachineBox</c> behind a <see cref="Task"/>, a
/// <c>PoolingAsyncValueTaskMethodBuilder</c> box or an async iterator behind a
/// <see cref="ValueTask"/>) → its <c>StateMachine</c> field → <c>&lt;&gt;1__state</c> (≥ 0: suspended
/// at that await) → the await's <c>&lt;&gt;u__K</c> awaiter field (from <see cref="AwaitSiteReader"/>,
/// or without a PDB the one awaiter field that is not default, since the compiler clears each
/// after resuming) → the task or <see cref="ValueTask"/> inside the awaiter → next step.
/// </para>
/// <para>
/// Reuse: a completed <see cref="Task"/> box is not walked (a completed Release box holds an
/// all-zero struct); a pooled box is checked against the <see cref="ValueTask"/>'s token first.
/// Reflection over compiler-generated fields is what trimming and NativeAOT may remove; a missing
/// field ends the chain ("frames unavailable"), which is the documented degradation.
/// </para>
/// </remarks>
internal static class AsyncChainWalker
{
    /// <summary>Frames per task, over all branches: a guard against cycles through recycled objects and huge fan-outs.</summary>
    private const int MaxFrames = 1024;

    /// <summary>Children shown per combinator (<c>Task.WhenAll</c> of thousands stays readable).</summary>
    private const int MaxChildren = 32;

    private const BindingFlags InstanceFields = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    private static readonly ConcurrentDictionary<Type, FieldInfo?> s_boxes = new();
    private static readonly ConcurrentDictionary<Type, StateMachineInfo> s_machines = new();
    private static readonly ConcurrentDictionary<Type, AwaiterInfo> s_awaiters = new();
    private static readonly ConcurrentDictionary<Type, FieldInfo[]> s_children = new();

    /// <summary>Walks <paramref name="task"/>'s chain into <paramref name="frames"/>; returns the foreign leaf at the bottom (null for a Spindle leaf or unknown) and a note.</summary>
    public static LeafInfo? Walk(TaskCore task, List<TaskDumpFrame> frames, out bool spindleLeaf, out string? note, out List<TaskDumpBranch>? branches)
    {
        int budget = MaxFrames;
        object? root;
        short token;
        try
        {
            root = task.GetRootForDump(out token);
        }
#pragma warning disable CA1031 // See WalkFrom.
        catch (Exception error)
#pragma warning restore CA1031
        {
            spindleLeaf = false;
            branches = null;
            note = "walk failed: " + error.GetType().Name;
            return null;
        }

        return WalkFrom(root, token, frames, ref budget, out spindleLeaf, out note, out branches);
    }

    private static LeafInfo? WalkFrom(object? current, short token, List<TaskDumpFrame> frames, ref int budget,
        out bool spindleLeaf, out string? note, out List<TaskDumpBranch>? branches)
    {
        spindleLeaf = false;
        note = null;
        branches = null;
        try
        {
            while (budget-- > 0)
            {
                if (current is null)
                {
                    return null;
                }

                object? machine = null;
                string? frameNote = null;
                if (current is IAsyncStateMachine && current is not Task)
                {
                    // An async iterator is its own IValueTaskSource<bool>.
                    machine = current;
                }
                else if (BoxField(current.GetType()) is { } boxField)
                {
                    if (current is Task { IsCompleted: true } || (current is IValueTaskSource source && IsBclBox(current) && !IsPending(source, token)))
                    {
                        note = "completed during the dump";
                        return null;
                    }

                    machine = boxField.GetValue(current);
                }

                if (machine is null)
                {
                    if (current.GetType().Namespace?.StartsWith("Spindle", StringComparison.Ordinal) == true)
                    {
                        // The leaf's own description, for branches; a task's main chain prefers the
                        // leaf the task registered (the same wait, checked against reuse).
                        spindleLeaf = true;
                        return (current as Internal.ILeaf)?.Describe();
                    }

                    branches = WalkChildren(current, ref budget);
                    return DescribeForeign(current, branches is not null);
                }

                StateMachineInfo info = s_machines.GetOrAdd(machine.GetType(), static t => StateMachineInfo.Create(t));
                int state = info.ReadState(machine);
                AwaitSite site = default;
                bool known = info.Sites is not null && info.Sites.TryGetValue(state, out site);
                if (state < 0)
                {
                    frameNote = "not at an await (running or finishing)";
                }

                FieldInfo? awaiterField = state < 0 ? null : info.ActiveAwaiter(machine, known ? site.AwaiterField : null);
                object? awaiter = awaiterField?.GetValue(machine);
                if (state >= 0 && awaiter is null)
                {
                    frameNote = "awaiter unavailable";
                }

                frames.Add(new TaskDumpFrame(info.Name, known ? site.FilePath : null, known ? site.LineNumber : 0, frameNote));
                if (awaiter is null)
                {
                    return null;
                }

                AwaiterInfo awaiterInfo = s_awaiters.GetOrAdd(awaiter.GetType(), static t => AwaiterInfo.Create(t));
                if (awaiterInfo.IsYield)
                {
                    return new LeafInfo("yield", "Task.Yield");
                }

                if (!awaiterInfo.TryGetInner(awaiter, out current, out token))
                {
                    if (awaiter.GetType().Namespace?.StartsWith("Spindle", StringComparison.Ordinal) == true)
                    {
                        spindleLeaf = true;
                        return null;
                    }

                    return new LeafInfo("foreign", "awaiter " + AsyncMethodNames.ForType(awaiter.GetType()));
                }
            }

            note = "chain cut at " + MaxFrames.ToString(System.Globalization.CultureInfo.InvariantCulture) + " frames";
            return null;
        }
#pragma warning disable CA1031 // The walker reads objects other threads may be recycling: any failure ends this chain, never the dump.
        catch (Exception error)
#pragma warning restore CA1031
        {
            note = "walk failed: " + error.GetType().Name;
            return null;
        }
    }

    /// <summary>Only the BCL's own boxes are asked for their status: the walker never calls user code.</summary>
    private static bool IsBclBox(object box) => box.GetType().Namespace == "System.Runtime.CompilerServices";

    /// <summary>
    /// The children of a BCL combinator that keeps them (<c>Task.WhenAll&lt;T&gt;</c>: <c>m_tasks</c>;
    /// two-task <c>Task.WhenAny</c>: <c>_task1</c>, <c>_task2</c>), each walked as a branch; pending
    /// children only. Non-generic <c>Task.WhenAll</c> keeps no children: no branches.
    /// </summary>
    private static List<TaskDumpBranch>? WalkChildren(object combinator, ref int budget)
    {
        FieldInfo[] fields = s_children.GetOrAdd(combinator.GetType(), static t => ChildFields(t));
        if (fields.Length == 0)
        {
            return null;
        }

        var branches = new List<TaskDumpBranch>();
        int skipped = 0;
        foreach (FieldInfo field in fields)
        {
            object? value = field.GetValue(combinator);
            Task?[] children = value switch
            {
                Task?[] array => array,
                Task single => [single],
                _ => [],
            };
            foreach (Task? child in children)
            {
                if (child is null || child.IsCompleted)
                {
                    continue;
                }

                if (branches.Count >= MaxChildren || budget <= 0)
                {
                    skipped++;
                    continue;
                }

                var frames = new List<TaskDumpFrame>();
                LeafInfo? leaf = WalkFrom(child, 0, frames, ref budget, out bool spindleLeaf, out string? note, out List<TaskDumpBranch>? grandChildren);
                branches.Add(new TaskDumpBranch([.. frames], leaf, grandChildren ?? [], note));
            }
        }

        if (skipped > 0)
        {
            branches.Add(new TaskDumpBranch([], null, [], skipped.ToString(System.Globalization.CultureInfo.InvariantCulture) + " more pending children not shown"));
        }

        return branches;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "BCL combinator fields; if trimmed, the combinator shows no branches (documented degradation).")]
    private static FieldInfo[] ChildFields(Type type)
    {
        if (type.DeclaringType != typeof(Task))
        {
            return [];
        }

        var fields = new List<FieldInfo>();
        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
        {
            Type fieldType = field.FieldType;
            if (typeof(Task).IsAssignableFrom(fieldType) || (fieldType.IsArray && typeof(Task).IsAssignableFrom(fieldType.GetElementType())))
            {
                fields.Add(field);
            }
        }

        return [.. fields];
    }

    private static bool IsPending(IValueTaskSource source, short token)
    {
        try
        {
            // Only BCL sources reach here (the pooling builder's box): its GetStatus checks the token.
            return source.GetStatus(token) == ValueTaskSourceStatus.Pending;
        }
#pragma warning disable CA1031 // A token mismatch throws: the box was recycled.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    private static LeafInfo DescribeForeign(object awaitable, bool hasBranches)
    {
        Type type = awaitable.GetType();
        string suffix = hasBranches ? "" : " (cannot descend)";
        string name = type.FullName?.Contains("WhenAll", StringComparison.Ordinal) == true ? "Task.WhenAll" + suffix
            : type.FullName?.Contains("WhenAny", StringComparison.Ordinal) == true ? "Task.WhenAny" + suffix
            : type.FullName?.Contains("DelayPromise", StringComparison.Ordinal) == true ? "Task.Delay"
            : type.FullName?.Contains("UnwrapPromise", StringComparison.Ordinal) == true ? "Task.Run or Unwrap (cannot descend)"
            : AsyncMethodNames.ForType(type);
        return awaitable is Task task
            ? new LeafInfo("foreign", name + " " + task.Status.ToString())
            : new LeafInfo("foreign", name);
    }

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "The box types are the BCL's; if trimming removed the field the chain ends with a note (documented degradation).")]
    private static FieldInfo? BoxField(Type type) => s_boxes.GetOrAdd(type, static t =>
    {
        // AsyncTaskMethodBuilder<T>.AsyncStateMachineBox<TSM> (and its debugger subclass) and
        // PoolingAsyncValueTaskMethodBuilder<T>.StateMachineBox<TSM> both name it StateMachine.
        if (!typeof(Task).IsAssignableFrom(t) && !typeof(IValueTaskSource).IsAssignableFrom(t) && !IsValueTaskSourceOfT(t))
        {
            return null;
        }

        FieldInfo? field = t.GetField("StateMachine", InstanceFields);
        return field is not null && typeof(IAsyncStateMachine).IsAssignableFrom(field.FieldType) ? field : null;
    });

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Interfaces of a live object's type are kept by the trimmer when the type is instantiated.")]
    private static bool IsValueTaskSourceOfT(Type type)
    {
        foreach (Type face in type.GetInterfaces())
        {
            if (face.IsGenericType && face.GetGenericTypeDefinition() == typeof(IValueTaskSource<>))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The fields of one compiler-generated state-machine type, read once.</summary>
    private sealed class StateMachineInfo
    {
        private readonly FieldInfo? _state;
        private readonly FieldInfo[] _awaiters;

        private StateMachineInfo(string name, FieldInfo? state, FieldInfo[] awaiters, Dictionary<int, AwaitSite>? sites)
        {
            Name = name;
            _state = state;
            _awaiters = awaiters;
            Sites = sites;
        }

        public string Name { get; }

        public Dictionary<int, AwaitSite>? Sites { get; }

        [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Compiler-generated fields and MoveNext may be trimmed; then the frame has a name only (documented degradation).")]
        public static StateMachineInfo Create(Type type)
        {
            FieldInfo? state = type.GetField("<>1__state", InstanceFields);
            var awaiters = new List<FieldInfo>();
            foreach (FieldInfo field in type.GetFields(InstanceFields))
            {
                if (field.Name.StartsWith("<>u__", StringComparison.Ordinal))
                {
                    awaiters.Add(field);
                }
            }

            MethodInfo? moveNext = type.GetMethod("MoveNext", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, Type.EmptyTypes);
            Dictionary<int, AwaitSite>? sites = moveNext is null || !TaskDumpFeature.IsEnabled ? null : AwaitSiteReader.TryRead(moveNext);
            return new StateMachineInfo(AsyncMethodNames.For(type), state, [.. awaiters], sites);
        }

        public int ReadState(object machine) => _state?.GetValue(machine) is int state ? state : int.MinValue;

        /// <summary>The awaiter field of the current await: named by the PDB map, else the one that is not default.</summary>
        public FieldInfo? ActiveAwaiter(object machine, string? fromSite)
        {
            FieldInfo? single = null;
            foreach (FieldInfo field in _awaiters)
            {
                if (fromSite is not null)
                {
                    if (field.Name == fromSite)
                    {
                        return field;
                    }

                    continue;
                }

                if (!AwaiterInfo.IsDefault(field.GetValue(machine)))
                {
                    if (single is not null)
                    {
                        return null;
                    }

                    single = field;
                }
            }

            return single ?? (_awaiters.Length == 1 ? _awaiters[0] : null);
        }
    }

    /// <summary>How to find the awaited object inside one awaiter type.</summary>
    private sealed class AwaiterInfo
    {
        private readonly FieldInfo? _task;
        private readonly FieldInfo? _valueTask;
        private readonly FieldInfo? _valueTaskObject;
        private readonly FieldInfo? _valueTaskToken;

        private AwaiterInfo(bool isYield, FieldInfo? task, FieldInfo? valueTask, FieldInfo? valueTaskObject, FieldInfo? valueTaskToken)
        {
            IsYield = isYield;
            _task = task;
            _valueTask = valueTask;
            _valueTaskObject = valueTaskObject;
            _valueTaskToken = valueTaskToken;
        }

        public bool IsYield { get; }

        [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "BCL awaiter fields; if trimmed, the awaiter is reported as foreign (documented degradation).")]
        [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "ValueTask's private fields; if trimmed, the awaiter is reported as foreign.")]
        public static AwaiterInfo Create(Type type)
        {
            if (type == typeof(System.Runtime.CompilerServices.YieldAwaitable.YieldAwaiter))
            {
                return new AwaiterInfo(true, null, null, null, null);
            }

            // TaskAwaiter(<T>) and ConfiguredTaskAwaitable(<T>).ConfiguredTaskAwaiter: m_task;
            // ValueTaskAwaiter(<T>) and ConfiguredValueTaskAwaitable(<T>).ConfiguredValueTaskAwaiter: _value.
            if (type.Namespace != "System.Runtime.CompilerServices")
            {
                return new AwaiterInfo(false, null, null, null, null);
            }

            FieldInfo? task = type.GetField("m_task", InstanceFields);
            if (task is not null && typeof(Task).IsAssignableFrom(task.FieldType))
            {
                return new AwaiterInfo(false, task, null, null, null);
            }

            FieldInfo? value = type.GetField("_value", InstanceFields);
            if (value is not null && (value.FieldType == typeof(ValueTask) || (value.FieldType.IsGenericType && value.FieldType.GetGenericTypeDefinition() == typeof(ValueTask<>))))
            {
                return new AwaiterInfo(false, null, value, value.FieldType.GetField("_obj", InstanceFields), value.FieldType.GetField("_token", InstanceFields));
            }

            return new AwaiterInfo(false, null, null, null, null);
        }

        public bool TryGetInner(object awaiter, out object? inner, out short token)
        {
            token = 0;
            inner = null;
            if (_task is not null)
            {
                inner = _task.GetValue(awaiter);
                return true;
            }

            if (_valueTask is not null && _valueTaskObject is not null)
            {
                object? valueTask = _valueTask.GetValue(awaiter);
                if (valueTask is null)
                {
                    return false;
                }

                inner = _valueTaskObject.GetValue(valueTask);
                token = _valueTaskToken?.GetValue(valueTask) is short t ? t : (short)0;
                return true;
            }

            return false;
        }

        /// <summary>True when a boxed awaiter is all default (cleared after its await resumed): every field null or zero.</summary>
        [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Only a heuristic without a PDB; trimmed fields make it answer 'default'.")]
        public static bool IsDefault(object? boxed)
        {
            if (boxed is null)
            {
                return true;
            }

            foreach (FieldInfo field in boxed.GetType().GetFields(InstanceFields))
            {
                object? value = field.GetValue(boxed);
                bool isDefault = value switch
                {
                    null => true,
                    IConvertible number when field.FieldType.IsPrimitive || field.FieldType.IsEnum =>
                        number.ToDouble(System.Globalization.CultureInfo.InvariantCulture) == 0,
                    ValueType => IsDefault(value),
                    _ => false,
                };
                if (!isDefault)
                {
                    return false;
                }
            }

            return true;
        }
    }
}

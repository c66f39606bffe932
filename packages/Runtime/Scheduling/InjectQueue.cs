using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using Spindle.Scheduling.MultiThread;

namespace Spindle.Scheduling;

/// <summary>
/// The global queue of both flavours: tasks scheduled from outside the scheduler's threads (and, on
/// the multi-thread flavour, local-queue overflow), linked through <see cref="TaskCore.QueueNext"/>
/// so pushing allocates nothing.
/// </summary>
/// <remarks>
/// <para>
/// Pushers never take a lock: a push is one compare-and-swap onto a stack of incoming tasks (newest
/// first) after one atomic add to the push count. Takers (the workers, or the current-thread
/// flavour's driving thread) take tasks under a lock of their own:
/// when the FIFO they read from is empty, one of them swaps the whole incoming stack out and
/// reverses it onto the FIFO, so tasks still come out in the order they were pushed. Before, one
/// lock guarded both ends, and a thread spawning from outside the runtime queued behind a worker
/// that was walking a batch of tasks it had just taken.
/// </para>
/// <para>
/// The length is pushes minus pops. A push is counted before its task is visible, so the queue
/// never reads empty while it holds a task a reader could take; a worker that finds the count
/// ahead of the visible tasks simply takes nothing. Pushes from outside the runtime and overflow
/// from the workers' rings are counted apart: the first count is the runtime's remote schedule
/// metric, which therefore costs a remote spawn nothing more.
/// </para>
/// </remarks>
internal sealed class InjectQueue
{
    private readonly Lock _lock = new();

    // Written by pushers (and swapped out by the taking worker): kept off the workers' line.
    private Incoming _incoming;

    // The workers' side, under _lock: oldest task first.
    private TaskCore? _head;
    private TaskCore? _tail;
    private long _popped;

    public int Count
    {
        get
        {
            // Pops first: a pop is only counted after its push, so the difference is never negative.
            long popped = Volatile.Read(ref _popped);
            return (int)(Volatile.Read(ref _incoming.RemotePushed) + Volatile.Read(ref _incoming.OverflowPushed) - popped);
        }
    }

    /// <summary>Tasks pushed from outside the runtime's threads so far.</summary>
    public long RemotePushes => Volatile.Read(ref _incoming.RemotePushed);

    public bool IsEmpty => Count == 0;

    /// <summary>Pushes a task scheduled from outside the runtime's threads.</summary>
    public void Push(TaskCore task)
    {
        Interlocked.Increment(ref _incoming.RemotePushed);
        PushCounted(task);
    }

    /// <summary>Pushes a task a worker's full ring could not take.</summary>
    public void PushOverflow(TaskCore task)
    {
        Interlocked.Increment(ref _incoming.OverflowPushed);
        PushCounted(task);
    }

    private void PushCounted(TaskCore task) => PushChain(task, task);

    /// <summary>Pushes half of a worker's full ring (and the task that did not fit), in their order, as one step.</summary>
    public void PushOverflow(TaskCore[] tasks)
    {
        // The stack is newest first: link the batch last to first; its first task goes on the old top.
        for (int i = tasks.Length - 1; i > 0; i--)
        {
            tasks[i].QueueNext = tasks[i - 1];
        }

        Interlocked.Add(ref _incoming.OverflowPushed, tasks.Length);
        PushChain(tasks[0], tasks[^1]);
    }

    /// <summary>Puts a chain linked newest (<paramref name="newest"/>) to oldest (<paramref name="oldest"/>) on the incoming stack.</summary>
    private void PushChain(TaskCore oldest, TaskCore newest)
    {
        TaskCore? top = Volatile.Read(ref _incoming.Top);
        while (true)
        {
            oldest.QueueNext = top;
            TaskCore? seen = Interlocked.CompareExchange(ref _incoming.Top, newest, top);
            if (ReferenceEquals(seen, top))
            {
                return;
            }

            top = seen;
        }
    }

    public TaskCore? Pop()
    {
        if (IsEmpty)
        {
            return null;
        }

        lock (_lock)
        {
            return PopLocked();
        }
    }

    private TaskCore? PopLocked()
    {
        TaskCore? task = _head ?? RefillLocked();
        if (task is null)
        {
            return null;
        }

        _head = task.QueueNext;
        if (_head is null)
        {
            _tail = null;
        }

        task.QueueNext = null;
        Volatile.Write(ref _popped, _popped + 1);
        return task;
    }

    /// <summary>
    /// Moves every incoming task onto the (empty) FIFO, oldest first, and returns the new head; null
    /// if nothing came in. Only when the FIFO is empty: everything in it is older than what came in.
    /// </summary>
    private TaskCore? RefillLocked()
    {
        TaskCore? node = Interlocked.Exchange(ref _incoming.Top, null);
        if (node is null)
        {
            return null;
        }

        // Reverse the newest-first stack; its top becomes the FIFO's tail.
        _tail = node;
        TaskCore? reversed = null;
        while (node is not null)
        {
            TaskCore? next = node.QueueNext;
            node.QueueNext = reversed;
            reversed = node;
            node = next;
        }

        _head = reversed;
        return reversed;
    }

    /// <summary>Takes up to <paramref name="max"/> tasks: the first is returned, the rest pushed to a worker's <paramref name="ring"/>.</summary>
    // Cannot overflow: the caller asks for at most half of the ring's free slots.
    public TaskCore? PopBatchInto(int max, LocalQueue ring) => PopBatchInto(max, new RingSink(ring, this));

    /// <summary>
    /// Takes up to <paramref name="max"/> tasks: the first is returned, the rest handed to
    /// <paramref name="sink"/> in order (a worker's ring, the current-thread driver's queue). A struct
    /// sink makes the loop a specialised copy per flavour, with no call through an interface.
    /// </summary>
    public TaskCore? PopBatchInto<TSink>(int max, TSink sink)
        where TSink : struct, ITaskSink
    {
        // Hand the batch on after the lock is released, so other takers wait for the cut alone.
        TaskCore? first = PopChain(max);
        if (first is null)
        {
            return null;
        }

        TaskCore? rest = first.QueueNext;
        first.QueueNext = null;
        while (rest is not null)
        {
            TaskCore? next = rest.QueueNext;
            rest.QueueNext = null;
            sink.Add(rest);
            rest = next;
        }

        return first;
    }

    private readonly struct RingSink(LocalQueue ring, InjectQueue inject) : ITaskSink
    {
        public void Add(TaskCore task) => ring.PushBack(task, inject);
    }

    /// <summary>
    /// Takes up to <paramref name="max"/> tasks, oldest first, as a chain through
    /// <see cref="TaskCore.QueueNext"/> that ends in null; the caller clears the links as it takes
    /// the tasks off. Null when the queue is empty.
    /// </summary>
    public TaskCore? PopChain(int max)
    {
        if (IsEmpty)
        {
            return null;
        }

        // Cut up to max tasks off the head under the lock: pointer walks only.
        TaskCore? first;
        lock (_lock)
        {
            first = _head ?? RefillLocked();
            if (first is null)
            {
                return null;
            }

            TaskCore last = first;
            int taken = 1;
            while (taken < max && last.QueueNext is TaskCore next)
            {
                last = next;
                taken++;
            }

            _head = last.QueueNext;
            if (_head is null)
            {
                _tail = null;
            }

            last.QueueNext = null;
            Volatile.Write(ref _popped, _popped + taken);
        }

        return first;
    }

    public void DrainTo(List<TaskCore> tasks)
    {
        lock (_lock)
        {
            while (PopLocked() is TaskCore task)
            {
                tasks.Add(task);
            }
        }
    }

    /// <summary>The pushers' fields, padded onto a cache line of their own.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct Incoming
    {
        [FieldOffset(64)]
        public TaskCore? Top;

        [FieldOffset(72)]
        public long RemotePushed;

        [FieldOffset(80)]
        public long OverflowPushed;
    }
}

/// <summary>Where <see cref="InjectQueue.PopBatchInto{TSink}"/> puts the tasks of a batch after the first.</summary>
internal interface ITaskSink
{
    /// <summary>Takes one task of the batch, in queue order.</summary>
    void Add(TaskCore task);
}

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace Spindle.Scheduling.MultiThread;

/// <summary>
/// A worker's run queue: a fixed ring of 256 slots that only the owning worker pushes to and pops
/// from, and that other workers steal half of. The algorithm is tokio's (<c>runtime/scheduler/multi_thread/queue.rs</c>).
/// </summary>
/// <remarks>
/// <para>
/// <see cref="_head"/> packs two 32-bit positions: <c>steal</c> (high) and <c>real</c> (low).
/// When no steal is in progress they are equal. A stealer first moves <c>real</c> forward over the
/// tasks it claims (so the owner stops popping them), copies them, then moves <c>steal</c> up to
/// <c>real</c>. Only one steal runs at a time (a stealer that sees steal ≠ real gives up).
/// <see cref="_tail"/> is written only by the owner, with release semantics after the slot write,
/// and read by stealers with acquire semantics before they read slots. Positions wrap (uint).
/// </para>
/// <para>
/// Invariant: tail − steal ≤ capacity, so the owner never overwrites a slot a stealer may still copy.
/// When the ring is full the owner moves half of it plus the new task to the inject queue (overflow).
/// </para>
/// </remarks>
internal sealed class LocalQueue
{
    /// <summary>Ring size: DESIGN.md §2 (tokio's LOCAL_QUEUE_CAPACITY).</summary>
    public const int Capacity = 256;
    private const int Mask = Capacity - 1;

    private readonly TaskSlot[] _buffer = new TaskSlot[Capacity];
    private long _head;
    private uint _tail;

    private static (uint Steal, uint Real) Unpack(long head) => ((uint)((ulong)head >> 32), (uint)head);

    private static long Pack(uint steal, uint real) => (long)(((ulong)steal << 32) | real);

    /// <summary>Approximate number of queued tasks (exact for the owner).</summary>
    public int Count
    {
        get
        {
            (_, uint real) = Unpack(Volatile.Read(ref _head));
            return (int)(Volatile.Read(ref _tail) - real);
        }
    }

    public bool HasTasks => Count > 0;

    /// <summary>Owner only. Pushes to the back; on overflow moves half the ring and the task to <paramref name="inject"/>.</summary>
    /// <returns>True if an overflow to the inject queue happened.</returns>
    public bool PushBack(TaskCore task, InjectQueue inject)
    {
        while (true)
        {
            // Acquire: pairs with the stealer's CAS on _head, so slots it released are free to reuse.
            (uint steal, uint real) = Unpack(Volatile.Read(ref _head));
            uint tail = _tail;
            if (tail - steal < Capacity)
            {
                _buffer[tail & Mask].Task = task;
                // Release: the slot write above is visible to a stealer that reads the new tail.
                Volatile.Write(ref _tail, tail + 1);
                return false;
            }

            if (steal != real)
            {
                // A stealer is taking tasks right now and will free room; do not wait for it.
                inject.PushOverflow(task);
                return true;
            }

            if (TryPushOverflow(task, real, tail, inject))
            {
                return true;
            }
        }
    }

    private bool TryPushOverflow(TaskCore task, uint head, uint tail, InjectQueue inject)
    {
        const uint Half = Capacity / 2;
        Debug.Assert(tail - head == Capacity, "overflow only when the ring is full");
        long prev = Pack(head, head);
        // Claim the first half; fails if a stealer moved head meanwhile (then the caller retries).
        if (Interlocked.CompareExchange(ref _head, Pack(head + Half, head + Half), prev) != prev)
        {
            return false;
        }

        var batch = new TaskCore[Half + 1];
        for (uint i = 0; i < Half; i++)
        {
            uint index = (head + i) & Mask;
            batch[i] = _buffer[index].Task!;
            _buffer[index].Task = null;
        }

        batch[Half] = task;
        inject.PushOverflow(batch);
        return true;
    }

    /// <summary>Owner only. Pops from the front.</summary>
    public TaskCore? Pop()
    {
        long head = Volatile.Read(ref _head);
        while (true)
        {
            (uint steal, uint real) = Unpack(head);
            if (real == _tail)
            {
                return null;
            }

            uint nextReal = real + 1;
            long next = steal == real ? Pack(nextReal, nextReal) : Pack(steal, nextReal);
            long seen = Interlocked.CompareExchange(ref _head, next, head);
            if (seen == head)
            {
                uint index = real & Mask;
                TaskCore? task = _buffer[index].Task;
                // Safe: stealers copy only positions below `real`, which we just moved past this slot.
                _buffer[index].Task = null;
                return task;
            }

            head = seen;
        }
    }

    /// <summary>Steals half of this queue into <paramref name="destination"/> (the caller's own queue) and returns one task to run.</summary>
    public TaskCore? StealInto(LocalQueue destination, WorkerStats stats)
    {
        uint destinationTail = destination._tail;
        (uint destinationSteal, _) = Unpack(Volatile.Read(ref destination._head));
        if (destinationTail - destinationSteal > Capacity / 2)
        {
            // The stealer has plenty of work already.
            return null;
        }

        uint count = StealHalf(destination, destinationTail);
        if (count == 0)
        {
            return null;
        }

        stats.Steals += count;
        stats.StealOperations++;
        count--;
        uint last = (destinationTail + count) & Mask;
        TaskCore? task = destination._buffer[last].Task;
        destination._buffer[last].Task = null;
        if (count > 0)
        {
            // Release: publish the copied slots to stealers of the destination.
            Volatile.Write(ref destination._tail, destinationTail + count);
        }

        return task;
    }

    private uint StealHalf(LocalQueue destination, uint destinationTail)
    {
        long prev = Volatile.Read(ref _head);
        long next;
        uint count;
        while (true)
        {
            (uint steal, uint real) = Unpack(prev);
            if (steal != real)
            {
                return 0;
            }

            // Acquire: pairs with the owner's release of _tail; the slots below it are written.
            uint tail = Volatile.Read(ref _tail);
            count = tail - real;
            count -= count / 2;
            if (count == 0)
            {
                return 0;
            }

            next = Pack(steal, real + count);
            long seen = Interlocked.CompareExchange(ref _head, next, prev);
            if (seen == prev)
            {
                break;
            }

            prev = seen;
        }

        (uint first, _) = Unpack(next);
        for (uint i = 0; i < count; i++)
        {
            destination._buffer[(destinationTail + i) & Mask].Task = _buffer[(first + i) & Mask].Task;
        }

        // Release the steal: steal catches up with real (the owner may have popped meanwhile).
        prev = next;
        while (true)
        {
            (_, uint real) = Unpack(prev);
            long done = Pack(real, real);
            long seen = Interlocked.CompareExchange(ref _head, done, prev);
            if (seen == prev)
            {
                return count;
            }

            prev = seen;
        }
    }

    /// <summary>Owner only (or after the owner stopped): empties the queue.</summary>
    public void DrainTo(List<TaskCore> tasks)
    {
        while (Pop() is TaskCore task)
        {
            tasks.Add(task);
        }
    }
}

using System.Collections.Generic;
using System.Threading;

namespace Spindle.Scheduling.MultiThread;

/// <summary>
/// The global queue: tasks scheduled from outside the workers and local-queue overflow. An intrusive
/// list through <see cref="TaskCore.QueueNext"/> under one lock, so pushing allocates nothing; the
/// length is readable without the lock so workers skip empty checks cheaply (as tokio's inject queue).
/// </summary>
internal sealed class InjectQueue
{
    private readonly Lock _lock = new();
    private TaskCore? _head;
    private TaskCore? _tail;
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public bool IsEmpty => Count == 0;

    public void Push(TaskCore task)
    {
        lock (_lock)
        {
            Append(task);
        }
    }

    public void PushBatch(TaskCore[] tasks)
    {
        lock (_lock)
        {
            foreach (TaskCore task in tasks)
            {
                Append(task);
            }
        }
    }

    private void Append(TaskCore task)
    {
        task.QueueNext = null;
        if (_tail is null)
        {
            _head = task;
        }
        else
        {
            _tail.QueueNext = task;
        }

        _tail = task;
        Volatile.Write(ref _count, _count + 1);
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
        TaskCore? task = _head;
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
        Volatile.Write(ref _count, _count - 1);
        return task;
    }

    /// <summary>Takes up to <paramref name="max"/> tasks: the first is returned, the rest pushed to <paramref name="local"/>.</summary>
    public TaskCore? PopBatchInto(int max, LocalQueue local)
    {
        if (IsEmpty)
        {
            return null;
        }

        // Cut up to max tasks off the head under the lock (pointer walks only), and fill the local
        // ring after releasing it: remote spawners wait for the lock, so it is held for the cut alone.
        TaskCore? first;
        lock (_lock)
        {
            first = _head;
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
            Volatile.Write(ref _count, _count - taken);
        }

        TaskCore? rest = first.QueueNext;
        first.QueueNext = null;
        while (rest is not null)
        {
            TaskCore? next = rest.QueueNext;
            rest.QueueNext = null;
            // Cannot overflow: the caller asks for at most half of the ring's free slots.
            local.PushBack(rest, this);
            rest = next;
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
}

using System;
using System.Collections.Generic;
using System.Numerics;
using System.Threading;
using Spindle.Internal;

namespace Spindle.Scheduling;

/// <summary>
/// The runtime's live tasks, in sharded intrusive lists: spawn and completion lock only the shard
/// chosen by the task id, so spawning from many threads does not contend on one lock, and a listing
/// walks the shards one at a time.
/// </summary>
internal sealed class TaskRegistry
{
    private readonly Shard[] _shards;
    private readonly int _mask;
    private bool _closed;

    public TaskRegistry(int workers)
    {
        // Four shards per worker (rounded to a power of two) keeps collisions rare; tokio's
        // OwnedTasks uses a similar per-core multiple.
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(4, workers * 4));
        _shards = new Shard[size];
        for (int i = 0; i < size; i++)
        {
            _shards[i] = new Shard();
        }

        _mask = size - 1;
    }

    /// <summary>Live tasks: the sum of per-shard counts, kept under each shard's lock so spawning touches no shared counter.</summary>
    public int Count
    {
        get
        {
            int count = 0;
            foreach (Shard shard in _shards)
            {
                count += Volatile.Read(ref shard.Count);
            }

            return count;
        }
    }

    /// <summary>Tasks ever added.</summary>
    public long Added
    {
        get
        {
            long added = 0;
            foreach (Shard shard in _shards)
            {
                added += Volatile.Read(ref shard.Added);
            }

            return added;
        }
    }

    /// <summary>Adds a task; false if the registry was closed by shutdown (the task must not run).</summary>
    public bool TryAdd(TaskCore task)
    {
        int index = (int)(task.Id & _mask);
        Shard shard = _shards[index];
        shard.Gate.Enter();
        try
        {
            // Read under the shard lock: Close takes every shard lock after setting the flag, so a
            // task added here is either refused or seen by Close's snapshot.
            if (Volatile.Read(ref _closed))
            {
                return false;
            }

            task.RegistryShard = index;
            task.RegistryNext = shard.Head;
            if (shard.Head is not null)
            {
                shard.Head.RegistryPrev = task;
            }

            shard.Head = task;
            shard.Count++;
            shard.Added++;
        }
        finally
        {
            shard.Gate.Exit();
        }

        return true;
    }

    public void Remove(TaskCore task)
    {
        int index = task.RegistryShard;
        if (index < 0)
        {
            return;
        }

        Shard shard = _shards[index];
        shard.Gate.Enter();
        try
        {
            if (task.RegistryShard < 0)
            {
                return;
            }

            if (task.RegistryPrev is not null)
            {
                task.RegistryPrev.RegistryNext = task.RegistryNext;
            }
            else
            {
                shard.Head = task.RegistryNext;
            }

            if (task.RegistryNext is not null)
            {
                task.RegistryNext.RegistryPrev = task.RegistryPrev;
            }

            task.RegistryPrev = null;
            task.RegistryNext = null;
            task.RegistryShard = -1;
            shard.Count--;
        }
        finally
        {
            shard.Gate.Exit();
        }
    }

    /// <summary>Refuses further tasks and returns the live ones.</summary>
    public List<TaskCore> Close()
    {
        Volatile.Write(ref _closed, true);
        return Snapshot();
    }

    public bool IsClosed => Volatile.Read(ref _closed);

    public List<TaskCore> Snapshot()
    {
        var tasks = new List<TaskCore>();
        foreach (Shard shard in _shards)
        {
            shard.Gate.Enter();
            try
            {
                for (TaskCore? t = shard.Head; t is not null; t = t.RegistryNext)
                {
                    tasks.Add(t);
                }
            }
            finally
            {
                shard.Gate.Exit();
            }
        }

        return tasks;
    }

    private sealed class Shard
    {
        // A spin gate, not a Lock: taken once per spawn and once per completion, for a few writes.
        public SpinGate Gate;
        public TaskCore? Head;
        public int Count;
        public long Added;
    }
}

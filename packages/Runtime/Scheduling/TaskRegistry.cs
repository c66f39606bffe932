using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using Spindle.Internal;

namespace Spindle.Scheduling;

/// <summary>
/// The runtime's live tasks, in slot tables: each worker (or the current-thread driver) owns one and
/// is the only thread that puts tasks into it, so a spawn from a worker takes no lock; every other
/// thread shares one more table behind a spin gate. Removing a task clears its slot from whatever
/// thread completes it, with a plain store: no lock, and no write to any other task.
/// </summary>
/// <remarks>
/// <para>
/// Why not a linked list: an intrusive list (the first design, as tokio's <c>OwnedTasks</c>) takes a
/// lock twice per task and writes the neighbours' links on both ends, and a task stolen by another
/// worker is unlinked there, so those neighbour writes and the lock bounce between cores. Measured on
/// spawn-heavy workloads, it cost a fifth of a current-thread spawn and a third of a multi-thread one.
/// </para>
/// <para>
/// A table is a list of chunks (a chunk never moves, so a task keeps its chunk and index). The owner
/// claims slots with a cursor that walks the chunks in a ring and takes the next empty slot. When a
/// whole lap of the ring found more occupied slots than it claimed, a chunk as large as the table so
/// far is appended: a claim inspects at most two slots on average, and a table never grows past about
/// four times its largest live count.
/// </para>
/// <para>
/// Shutdown: <see cref="Close"/> sets the closed flag, then reads every slot; <see cref="TryAdd"/>
/// writes its slot with an interlocked exchange (a full fence), then reads the flag. One of the two
/// sees the other, so a task is either refused or in the snapshot (never queued and forgotten). The
/// shared table needs no exchange: its adds hold its gate, and Close passes through the gate after
/// setting the flag, so an add either finished before Close reads the table or sees the flag.
/// Counts and listings are racy snapshots by nature; at rest they are exact.
/// </para>
/// </remarks>
internal sealed class TaskRegistry
{
    private const int FirstChunkSize = 64;
    private const int CacheLine = 64;

    /// <summary>One table per worker, then the shared one.</summary>
    private readonly Table[] _tables;
    private readonly Table _shared;
    private bool _closed;

    public TaskRegistry(int workers)
    {
        _tables = new Table[workers + 1];
        for (int i = 0; i < _tables.Length; i++)
        {
            _tables[i] = new Table();
        }

        _shared = _tables[workers];
    }

    /// <summary>
    /// Live tasks: adds minus removes. Removes are read first, so the result never undercounts (a
    /// remove is counted only after its add), and an add is counted before its slot is written.
    /// </summary>
    public int Count
    {
        get
        {
            long removed = 0;
            foreach (Table table in _tables)
            {
                removed += Volatile.Read(ref table.State.Removed);
            }

            return (int)(Added - removed);
        }
    }

    /// <summary>Tasks ever added.</summary>
    public long Added
    {
        get
        {
            long added = 0;
            foreach (Table table in _tables)
            {
                added += Volatile.Read(ref table.State.Added);
            }

            return added;
        }
    }

    /// <summary>Slots in all tables (for tests of the growth bound).</summary>
    internal int Capacity
    {
        get
        {
            int capacity = 0;
            foreach (Table table in _tables)
            {
                foreach (TaskSlot[] chunk in Volatile.Read(ref table.Chunks))
                {
                    capacity += chunk.Length;
                }
            }

            return capacity;
        }
    }

    public bool IsClosed => Volatile.Read(ref _closed);

    /// <summary>
    /// Adds a task; false if the registry was closed by shutdown (the task must not run).
    /// <paramref name="worker"/> is the index of the worker (0 for the current-thread driver) running
    /// on the calling thread, or -1 from any other thread.
    /// </summary>
    public bool TryAdd(TaskCore task, int worker)
    {
        if (worker < 0)
        {
            return TryAddShared(task);
        }

        Table table = _tables[worker];
        Volatile.Write(ref table.State.Added, table.State.Added + 1);
        return Claim(table, task, worker, fenced: true);
    }

    private bool TryAddShared(TaskCore task)
    {
        Table table = _shared;
        table.State.Gate.Enter();
        try
        {
            Volatile.Write(ref table.State.Added, table.State.Added + 1);
            return Claim(table, task, -1, fenced: false);
        }
        finally
        {
            table.State.Gate.Exit();
        }
    }

    /// <summary>
    /// Takes the table's next free slot for <paramref name="task"/>, or undoes it and returns false
    /// when closed. <paramref name="fenced"/>: write the slot with the handshake's fence (a worker
    /// table); the shared table's gate orders its adds against Close instead.
    /// </summary>
    private bool Claim(Table table, TaskCore task, int worker, bool fenced)
    {
        TaskSlot[] chunk = table.Chunks[table.State.ChunkIndex];
        int slot = table.State.SlotIndex;
        while (true)
        {
            if (slot == chunk.Length)
            {
                chunk = NextChunk(table);
                slot = 0;
            }

            if (chunk[slot].Task is null)
            {
                break;
            }

            table.State.LapOccupied++;
            slot++;
        }

        table.State.LapClaimed++;
        table.State.SlotIndex = slot + 1;
        task.RegistryChunk = chunk;
        task.RegistrySlot = slot;
        if (fenced)
        {
            // The exchange is the fence of the handshake with Close (see the remarks).
            Interlocked.Exchange(ref chunk[slot].Task, task);
        }
        else
        {
            chunk[slot].Task = task;
        }

        if (Volatile.Read(ref _closed))
        {
            Remove(task, worker);
            return false;
        }

        return true;
    }

    /// <summary>Moves the cursor to the next chunk, growing the table at the end of a lap that found it crowded.</summary>
    private static TaskSlot[] NextChunk(Table table)
    {
        TaskSlot[][] chunks = table.Chunks;
        int next = table.State.ChunkIndex + 1;
        if (next == chunks.Length)
        {
            if (table.State.LapOccupied > table.State.LapClaimed)
            {
                int capacity = 0;
                foreach (TaskSlot[] chunk in chunks)
                {
                    capacity += chunk.Length;
                }

                var grown = new TaskSlot[chunks.Length + 1][];
                Array.Copy(chunks, grown, chunks.Length);
                grown[chunks.Length] = new TaskSlot[capacity];
                Volatile.Write(ref table.Chunks, grown);
            }
            else
            {
                next = 0;
            }

            table.State.LapOccupied = 0;
            table.State.LapClaimed = 0;
        }

        table.State.ChunkIndex = next;
        return table.Chunks[next];
    }

    /// <summary>
    /// Removes a task (once, when it terminates), from any thread; <paramref name="worker"/> as for
    /// <see cref="TryAdd"/>: a worker counts the remove in its own table, other threads in the shared one.
    /// </summary>
    public void Remove(TaskCore task, int worker)
    {
        TaskSlot[]? chunk = task.RegistryChunk;
        if (chunk is null)
        {
            return;
        }

        task.RegistryChunk = null;
        // A plain store: the owner reuses the slot whenever it sees it empty, early or late.
        Volatile.Write(ref chunk[task.RegistrySlot].Task, null);
        if (worker >= 0)
        {
            ref long removed = ref _tables[worker].State.Removed;
            Volatile.Write(ref removed, removed + 1);
        }
        else
        {
            Interlocked.Increment(ref _shared.State.Removed);
        }
    }

    /// <summary>Refuses further tasks and returns the live ones.</summary>
    public List<TaskCore> Close()
    {
        Volatile.Write(ref _closed, true);
        Interlocked.MemoryBarrier();
        // An add to the shared table that holds the gate now did not see the flag: wait it out.
        _shared.State.Gate.Enter();
        _shared.State.Gate.Exit();
        return Snapshot();
    }

    public List<TaskCore> Snapshot()
    {
        var tasks = new List<TaskCore>();
        foreach (Table table in _tables)
        {
            foreach (TaskSlot[] chunk in Volatile.Read(ref table.Chunks))
            {
                for (int i = 0; i < chunk.Length; i++)
                {
                    if (Volatile.Read(ref chunk[i].Task) is { } task)
                    {
                        tasks.Add(task);
                    }
                }
            }
        }

        // Slot order says nothing; id order is spawn order among the tasks one thread spawned (TaskCore.NextId).
        tasks.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        return tasks;
    }

    private sealed class Table
    {
        /// <summary>Published whole (copy on grow) so a listing on another thread reads a consistent array.</summary>
        public TaskSlot[][] Chunks = [new TaskSlot[FirstChunkSize]];

        /// <summary>The owner's cursor and counters, padded away from the neighbouring tables' (each worker writes its own on every spawn).</summary>
        public Cursor State;
    }

    [StructLayout(LayoutKind.Explicit, Size = 3 * CacheLine)]
    private struct Cursor
    {
        /// <summary>Guards the shared table's cursor; worker tables have one writer and never take it.</summary>
        [FieldOffset(CacheLine)]
        public SpinGate Gate;

        [FieldOffset(CacheLine + 4)]
        public int ChunkIndex;

        [FieldOffset(CacheLine + 8)]
        public int SlotIndex;

        [FieldOffset(CacheLine + 12)]
        public int LapOccupied;

        [FieldOffset(CacheLine + 16)]
        public int LapClaimed;

        [FieldOffset(CacheLine + 24)]
        public long Added;

        [FieldOffset(CacheLine + 32)]
        public long Removed;
    }
}

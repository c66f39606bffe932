using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;

namespace Spindle.Scheduling.Blocking;

/// <summary>
/// Threads for <c>SpawnBlocking</c>: code that blocks (file I/O, CPU-heavy work, sync-over-async)
/// runs here so it never stalls a worker. Threads are started on demand up to a cap and retire
/// after an idle keep-alive, as in tokio's blocking pool (defaults: 512 threads, 10 s).
/// </summary>
/// <remarks>
/// A queued task waits for an idle thread or a new one; past the cap it waits in the queue.
/// Shutdown aborts queued tasks that have not started (they complete as aborted without running),
/// wakes idle threads so they exit, and does not wait for running blocking code: it cannot be
/// interrupted, and the runtime's shutdown timeout bounds how long anything waits for it.
/// </remarks>
internal sealed class BlockingPool : Scheduler
{
    [ThreadStatic]
    private static bool t_isPoolThread;

    private readonly object _lock = new();
    private readonly Queue<TaskCore> _queue = new();
    private readonly int _maxThreads;
    private readonly TimeSpan _keepAlive;
    private readonly string _threadName;
    private int _threads;
    private int _idleThreads;
    // Idle threads a Schedule has claimed and pulsed, that have not yet woken to take the claim: a
    // claimed thread no longer counts as idle, so the next Schedule starts another thread instead
    // of pulsing one that is already on its way to the previous task (tokio's num_notify).
    private int _notified;
    private int _active;
    private bool _shutdown;
    private int _nextThreadId;

    public BlockingPool(RuntimeCore runtime, int maxThreads, TimeSpan keepAlive, string threadName)
        : base(runtime)
    {
        _maxThreads = maxThreads;
        _keepAlive = keepAlive;
        _threadName = threadName;
    }

    /// <summary>Whether the calling thread is a blocking-pool thread, where blocking is what the thread is for.</summary>
    public static bool IsPoolThread => t_isPoolThread;

    /// <summary>Blocking tasks queued or running; the paused clock does not auto-advance while any exist.</summary>
    public int ActiveCount => Volatile.Read(ref _active);

    public int ThreadCount => Volatile.Read(ref _threads);

    public int IdleThreadCount => Volatile.Read(ref _idleThreads);

    public int QueueDepth
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    public override void Schedule(TaskCore task, ScheduleHint hint)
    {
        bool startThread = false;
        lock (_lock)
        {
            if (_shutdown)
            {
                ThreadPoolPoller.Poll(task);
                return;
            }

            _queue.Enqueue(task);
            Interlocked.Increment(ref _active);
            if (_idleThreads > 0)
            {
                _idleThreads--;
                _notified++;
                Monitor.Pulse(_lock);
            }
            else if (_threads < _maxThreads)
            {
                _threads++;
                startThread = true;
            }
        }

        if (startThread)
        {
            var thread = new Thread(Run)
            {
                IsBackground = true,
                Name = string.Create(CultureInfo.InvariantCulture, $"{_threadName}-{Interlocked.Increment(ref _nextThreadId)}"),
            };
            thread.Start();
        }
    }

    private void Run()
    {
        t_isPoolThread = true;
        RuntimeCore.ThreadRuntime = Runtime;
        RuntimeHooks hooks = Runtime.Hooks;
        hooks.ThreadStart?.Invoke();
        try
        {
            while (true)
            {
                TaskCore? task;
                lock (_lock)
                {
                    while (_queue.Count == 0)
                    {
                        if (_shutdown)
                        {
                            _threads--;
                            return;
                        }

                        _idleThreads++;
                        bool signalled = Monitor.Wait(_lock, _keepAlive);
                        if (_notified > 0)
                        {
                            // A Schedule claimed an idle thread (it already took it off the idle count):
                            // this one takes the claim, whichever thread the pulse was meant for.
                            _notified--;
                            continue;
                        }

                        _idleThreads--;
                        if (!signalled && _queue.Count == 0)
                        {
                            _threads--;
                            return;
                        }
                    }

                    task = _queue.Dequeue();
                }

                try
                {
                    task.Poll();
                }
                finally
                {
                    Interlocked.Decrement(ref _active);
                }
            }
        }
        finally
        {
            hooks.ThreadStop?.Invoke();
            RuntimeCore.ThreadRuntime = null;
        }
    }

    public void Shutdown()
    {
        List<TaskCore> unstarted;
        lock (_lock)
        {
            _shutdown = true;
            unstarted = new List<TaskCore>(_queue);
            _queue.Clear();
            Monitor.PulseAll(_lock);
        }

        foreach (TaskCore task in unstarted)
        {
            Interlocked.Decrement(ref _active);
            // Abort was requested by the runtime's shutdown, so this poll completes it without running it.
            ThreadPoolPoller.Poll(task);
        }
    }
}

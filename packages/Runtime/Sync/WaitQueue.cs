using System.Diagnostics;

namespace Spindle.Sync;

/// <summary>
/// An intrusive FIFO of <see cref="WaitNode"/>s (doubly linked, so a cancelled waiter leaves from the
/// middle in O(1)). Not thread-safe: the owner calls every member under its lock.
/// </summary>
/// <remarks>Mutable struct: fields holding it are never <c>readonly</c>.</remarks>
internal struct WaitQueue
{
    private WaitNode? _head;
    private WaitNode? _tail;
    private int _count;

    public readonly bool IsEmpty => _head is null;

    public readonly int Count => _count;

    public readonly WaitNode? Head => _head;

    public readonly WaitNode? Tail => _tail;

    public void EnqueueLocked(WaitNode node)
    {
        Debug.Assert(!node.IsQueued, "a waiter was queued twice");
        node.IsQueued = true;
        node.Next = null;
        node.Prev = _tail;
        if (_tail is null)
        {
            _head = node;
        }
        else
        {
            _tail.Next = node;
        }

        _tail = node;
        _count++;
    }

    public WaitNode? DequeueLocked()
    {
        WaitNode? node = _head;
        if (node is not null)
        {
            RemoveLocked(node);
        }

        return node;
    }

    /// <summary>Unlinks <paramref name="node"/> if it is queued here; false if someone else took it first.</summary>
    public bool RemoveLocked(WaitNode node)
    {
        if (!node.IsQueued)
        {
            return false;
        }

        if (node.Prev is null)
        {
            _head = node.Next;
        }
        else
        {
            node.Prev.Next = node.Next;
        }

        if (node.Next is null)
        {
            _tail = node.Prev;
        }
        else
        {
            node.Next.Prev = node.Prev;
        }

        node.Prev = null;
        node.Next = null;
        node.IsQueued = false;
        _count--;
        return true;
    }

    /// <summary>Takes every waiter out at once, returned as a chain linked by <see cref="WaitNode.Next"/>.</summary>
    public WaitNode? DrainLocked()
    {
        WaitNode? head = _head;
        for (WaitNode? n = head; n is not null; n = n.Next)
        {
            n.IsQueued = false;
            n.Prev = null;
        }

        _head = null;
        _tail = null;
        _count = 0;
        return head;
    }
}

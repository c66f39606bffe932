using System;

namespace Spindle.Sync;

/// <summary>Thrown by <see cref="AsyncSemaphore"/> acquisitions after <see cref="AsyncSemaphore.Close"/>.</summary>
public sealed class SemaphoreClosedException : InvalidOperationException
{
    /// <summary>Creates the exception with the default message.</summary>
    public SemaphoreClosedException()
        : base("The semaphore was closed; no permit can be acquired from it any more. Stop acquiring once Close has been called, or check IsClosed first.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public SemaphoreClosedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public SemaphoreClosedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

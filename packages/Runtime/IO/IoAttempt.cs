namespace Spindle.IO;

/// <summary>
/// One non-blocking attempt of an I/O operation, for <see cref="IoRegistration.TryIo{TState, TResult}"/>
/// and <see cref="AsyncFdReadyGuard.TryIo{TState, TResult}"/>.
/// </summary>
/// <typeparam name="TState">State passed through, so the attempt can be a static lambda (no closure).</typeparam>
/// <typeparam name="TResult">What the operation produces.</typeparam>
/// <param name="state">The state given to <c>TryIo</c>.</param>
/// <param name="result">The result when the operation completed.</param>
/// <returns>True when it completed; false when it would block (EAGAIN / <c>SocketError.WouldBlock</c>).</returns>
public delegate bool IoAttempt<in TState, TResult>(TState state, out TResult result);

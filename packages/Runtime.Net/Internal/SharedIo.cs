using System.Threading;
using System.Threading.Tasks;
using Spindle.IO;

namespace Spindle.Net.Internal;

/// <summary>
/// Operations any number of tasks may run at once on one resource (accept, datagram send/receive):
/// try now; if that would block, wait in the registration's waiter list, try again, and clear the
/// readiness each time the attempt would block.
/// </summary>
internal static class SharedIo
{
    public static ValueTask<TResult> RunAsync<TState, TResult>(IoRegistration registration, Interest interest, TState state, IoAttempt<TState, TResult> attempt,
        string? file, int line, string? member, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (registration.TryIo(interest, state, attempt, out TResult result))
        {
            return new ValueTask<TResult>(result);
        }

        return WaitAsync(registration, interest, state, attempt, file, line, member, cancellationToken);
    }

    private static async ValueTask<TResult> WaitAsync<TState, TResult>(IoRegistration registration, Interest interest, TState state, IoAttempt<TState, TResult> attempt,
        string? file, int line, string? member, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadyEvent ready = await registration.ReadinessAsync(interest, cancellationToken, file, line, member);
            if (attempt(state, out TResult result))
            {
                return result;
            }

            registration.ClearReadiness(ready);
        }
    }
}

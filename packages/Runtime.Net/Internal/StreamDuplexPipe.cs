using System.IO.Pipelines;

namespace Spindle.Net.Internal;

/// <summary>The pipe pair returned by <see cref="StreamSocket.ToDuplexPipe"/>.</summary>
internal sealed class StreamDuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;
}

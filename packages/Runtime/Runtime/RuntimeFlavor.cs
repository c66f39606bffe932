namespace Spindle;

/// <summary>Which scheduler a runtime uses (tokio's <c>Builder::new_current_thread</c> / <c>new_multi_thread</c>).</summary>
public enum RuntimeFlavor
{
    /// <summary>All tasks run on the thread that calls <c>Runtime.BlockOn</c>.</summary>
    CurrentThread,

    /// <summary>Tasks run on a pool of worker threads with work stealing.</summary>
    MultiThread,
}

namespace Spindle.Sync;

/// <summary>Changes a watch channel's value in place if it needs to (<see cref="WatchSender{T}.SendIfModified"/>).</summary>
/// <typeparam name="T">The channel's value type.</typeparam>
/// <param name="value">The value to change.</param>
/// <returns><see langword="true"/> if the value was changed and receivers should be told; <see langword="false"/> if it was left as it was.</returns>
public delegate bool WatchModifier<T>(ref T value);

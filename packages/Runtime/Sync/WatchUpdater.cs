namespace Spindle.Sync;

/// <summary>Changes a watch channel's value in place (<see cref="WatchSender{T}.SendModify"/>).</summary>
/// <typeparam name="T">The channel's value type.</typeparam>
/// <param name="value">The value to change; for a value type, assign its fields or replace it.</param>
public delegate void WatchUpdater<T>(ref T value);

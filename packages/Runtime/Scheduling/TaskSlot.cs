namespace Spindle.Scheduling;

/// <summary>
/// A task reference stored in a run-queue array. Storing a <see cref="TaskCore"/> (an unsealed
/// class) into a <c>TaskCore[]</c> makes the runtime check array covariance on every write; a
/// struct element is written without that check, which showed up in spawn-heavy profiles.
/// </summary>
internal struct TaskSlot
{
    public TaskCore? Task;

    public TaskSlot(TaskCore task) => Task = task;
}

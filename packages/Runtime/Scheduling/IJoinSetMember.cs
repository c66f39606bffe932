namespace Spindle.Scheduling;

/// <summary>The JoinSet a task belongs to: told before the task is first scheduled and when it completes.</summary>
internal interface IJoinSetMember
{
    void OnMemberAdded(TaskCore task);

    /// <summary>Takes a finished member's outcome for a later join; false if the set no longer wants it (disposed), so nobody will observe it.</summary>
    bool OnMemberCompleted(TaskCore task);
}

namespace Spindle.Scheduling;

/// <summary>The JoinSet a task belongs to: told before the task is first scheduled and when it completes.</summary>
internal interface IJoinSetMember
{
    void OnMemberAdded(TaskCore task);

    void OnMemberCompleted(TaskCore task);
}

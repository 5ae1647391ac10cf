namespace RelationsLedger.Platform;

public static class Clock
{
    /// <summary>Today's date (UTC), for request defaults and validation bounds; never used inside the fold.</summary>
    public static DateOnly Today(this TimeProvider clock) => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
}

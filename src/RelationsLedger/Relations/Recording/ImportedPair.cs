namespace RelationsLedger.Relations.Recording;

/// <summary>One pair of an import in progress, carried from one of its transactions to the next. The importer passes
/// only event ids it found unrecorded, and the pair's stream as the earlier transactions left it is kept here, so a
/// run with provenance does not read (and resolve) the whole stream again — it is used only while the store's
/// version still matches, i.e. nobody else wrote to the pair in between.</summary>
public sealed class ImportedPair
{
    public IndexedStream Events { get; private set; } = new([]);

    /// <summary>The stream version <see cref="Events"/> ends at; −1 when not known.</summary>
    public long Version { get; private set; } = -1;

    /// <summary>The pair's stream as just read (or <see cref="Events"/> itself), indexed for the next transactions.</summary>
    public IndexedStream Know(IReadOnlyList<RecordedEvent> stream)
    {
        if (stream != Events) (Events, Version) = (new IndexedStream(stream), stream.Count == 0 ? 0 : stream[^1].Version);
        return Events;
    }

    public void Wrote(IReadOnlyList<Submission> items, IReadOnlyList<Appended> appended)
    {
        if (Version < 0 || appended[0].Version != Version + 1)
        {
            Version = -1;
            return;
        }
        for (var i = 0; i < items.Count; i++) Events.Add(new RecordedEvent(items[i].Event, appended[i].Sequence, appended[i].RecordedAt, appended[i].Version));
        Version = appended[^1].Version;
    }
}

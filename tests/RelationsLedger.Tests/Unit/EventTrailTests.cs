using System.Collections.Immutable;
using System.Text.Json;
using CsCheck;
using RelationsLedger.Relations;

namespace RelationsLedger.Tests.Unit;

public sealed class EventTrailTests
{
    [Fact]
    public void a_trail_lists_its_ids_oldest_first_and_every_version_keeps_its_own()
    {
        var (a, b, c) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        EventTrail empty = [];
        var two = empty.Add(a).Add(b);
        var three = two.Add(c);
        var branch = two.Add(a);

        Assert.Same(EventTrail.Empty, empty);
        Assert.Equal([a, b], two);
        Assert.Equal([a, b, c], three);
        Assert.Equal([a, b, a], branch);
        Assert.Equal((2, 3), (two.Count, three.Count));
        EventTrail built = [a, b, c];
        Assert.Equal([a, b, c], built);
    }

    [Fact]
    public void the_latest_ids_are_the_end_of_the_trail()
    {
        var ids = Enumerable.Range(0, 12).Select(_ => Guid.NewGuid()).ToArray();
        var trail = EventTrail.Create(ids);

        Assert.Equal(ids[^5..], trail.Latest(5));
        Assert.Equal(5, trail.Latest(5).Count);
        Assert.Same(trail, trail.Latest(12));
        Assert.Equal(ids, trail.Latest(20));
        Assert.Empty(trail.Latest(0));
        Assert.Equal([.. ids[^2..], Guid.Empty], trail.Latest(2).Add(Guid.Empty));
    }

    [Fact]
    public void a_trail_is_the_json_array_an_immutable_list_was()
    {
        // summaries stored before the trail held an ImmutableList<Guid>: the same JSON reads back
        Gen.Int[0, 40].Select(n => Enumerable.Range(0, n).Select(_ => Guid.NewGuid()).ToImmutableList()).Sample(list =>
        {
            var json = JsonSerializer.Serialize(list, LedgerJson.Options);
            var trail = JsonSerializer.Deserialize<EventTrail>(json, LedgerJson.Options)!;
            Assert.Equal(list, trail);
            Assert.Equal(json, JsonSerializer.Serialize(trail, LedgerJson.Options));
        });
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<EventTrail>("{}", LedgerJson.Options));
    }
}

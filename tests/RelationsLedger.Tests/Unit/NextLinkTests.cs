using Microsoft.AspNetCore.Http;
using RelationsLedger.Relations.Replaying;

namespace RelationsLedger.Tests.Unit;

public sealed class NextLinkTests
{
    [Fact]
    public void the_next_link_puts_its_cursor_first_and_keeps_the_requests_other_parameters_as_sent()
    {
        var request = new DefaultHttpContext().Request;
        request.Path = "/api/relations/BY-US/timeline";
        // words with a %-sequence that is not UTF-8, which the request read as typed: decoded and encoded again it
        // would come back as another text; the request's own cursor and basis are replaced
        request.QueryString = new QueryString("?q=caf%E9+press&AFTER=2001-01-01~3&from=2000-01-01&limit=1&basis=9");
        Assert.Equal("/api/relations/BY-US/timeline?after=2008-04-30~7&basis=77&q=caf%E9+press&from=2000-01-01&limit=1",
            Reading.NextLink(request, [("after", "2008-04-30~7"), ("basis", "77")]));
        Assert.Equal("/api/relations/BY-US/timeline?after=2008-04-30~7&q=caf%E9+press&from=2000-01-01&limit=1",
            Reading.NextLink(request, [("after", "2008-04-30~7")], "basis"));
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace RelationsLedger.Relations.Replaying;

/// <summary>Serialization code generated at build time for the largest read answers (a state lists hundreds of rows):
/// the same JSON the HTTP options write (web defaults, every property written), without reflection-driven
/// converters. A test holds both to the same bytes.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(StateView))]
internal sealed partial class AnswerJson : JsonSerializerContext;

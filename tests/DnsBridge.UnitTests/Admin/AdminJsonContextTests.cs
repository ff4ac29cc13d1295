using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using DnsBridge.Admin;

namespace DnsBridge.UnitTests.Admin;

/// <summary>
/// The shipped build is Native AOT: an API answer whose type the source-generated context does not know cannot be
/// written there. Every answer type of the admin API (the <c>*Document</c> records and <see cref="ApiError"/>) must be in it.
/// </summary>
public sealed class AdminJsonContextTests
{
    public static TheoryData<Type> AnswerTypes()
    {
        var data = new TheoryData<Type>();
        foreach (var type in typeof(ApiError).Assembly.GetTypes().Where(t => !t.IsNested && t.Namespace == typeof(ApiError).Namespace
            && (t.Name.EndsWith("Document", StringComparison.Ordinal) || t == typeof(ApiError))))
        {
            data.Add(type);
        }

        return data;
    }

    private static readonly JsonSerializerOptions SourceGeneratedOnly = new(JsonSerializerDefaults.Web) { TypeInfoResolver = AdminJsonContext.Default };

    [Theory]
    [MemberData(nameof(AnswerTypes))]
    public void Every_answer_type_has_source_generated_metadata(Type type)
    {
        Assert.NotNull(AdminJsonContext.Default.GetTypeInfo(type));
        Assert.Equal(JsonTypeInfoKind.Object, SourceGeneratedOnly.GetTypeInfo(type).Kind);
    }

    [Fact]
    public void The_answers_are_camel_cased_as_the_API_documents_them()
    {
        var json = JsonSerializer.Serialize(new NudgeConnectionsDocument(1, 2, 3, 4), AdminJsonContext.Default.NudgeConnectionsDocument);

        Assert.Equal("""{"http1":1,"http2":2,"websocket":3,"tcp":4}""", json);
    }
}

using System.Threading;
using System.Threading.Tasks;
using TypedBatch;

namespace Samples.Keywords;

public sealed record Lesson(string @namespace, int @default);

[PromptClient]
public partial interface ISchool
{
    [User("Describe the {class} class.")]
    Task<string> DescribeAsync(string @class, CancellationToken @operator = default);

    [User("Teach {event} in the {lesson.namespace} namespace, level {lesson.default}.")]
    Task<string> TeachAsync(string @event, Lesson lesson);
}

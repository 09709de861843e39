using System.Threading;
using System.Threading.Tasks;
using TypedBatch;

[PromptClient]
public partial interface IGreeter
{
    [User("Say hello to {name}.")]
    Task<string> GreetAsync(string name, CancellationToken cancellationToken = default);
}

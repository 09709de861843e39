using Refit;
using TypedBatch.Http;

namespace TypedBatch.Providers.Anthropic;

/// <summary>Anthropic's Messages API; the base address is the host root (<c>https://api.anthropic.com</c>), the routes carry <c>/v1</c>.</summary>
internal interface IAnthropicApi
{
    [Post("/v1/messages")]
    Task<IApiResponse<MessagesResponseDto>> CreateMessageAsync(
        [Body(buffered: true)] MessagesRequestDto request,
        [Property(CallContext.OptionKey)] CallContext call,
        CancellationToken cancellationToken);

    [Post("/v1/messages")]
    Task<HttpResponseMessage> StreamMessageAsync(
        [Body(buffered: true)] MessagesRequestDto request,
        [Property(CallContext.OptionKey)] CallContext call,
        CancellationToken cancellationToken);
}

using System;
using System.Threading.Tasks;
using TypedBatch;

namespace Samples.Nullable;

public sealed record Customer(string? Nickname, Address? Address, decimal? Balance);

public sealed record Address(string City);

public readonly record struct Point(int X, int Y);

[PromptClient]
public partial interface ICrm
{
    [User("{note}")]
    Task<string> EchoAsync(string? note);

    [User("Greet {customer.Nickname} from {customer.Address.City}; balance {customer.Balance:C}; seen {seen:d}.")]
    Task<string> GreetAsync(Customer? customer, DateTime? seen);

    [User("Where is ({point.X}, {point.Y})?")]
    Task<string> LocateAsync(Point? point);
}

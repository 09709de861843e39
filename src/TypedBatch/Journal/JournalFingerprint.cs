using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace TypedBatch.Journaling;

/// <summary>
/// XXH128 over the batch's definition hash and one input's exact request (each message's role, length and UTF-8
/// content; or an embedding input's text). Equal fingerprints mean the same request. A non-cryptographic hash is enough:
/// it tells a changed input from the journaled one, it guards nothing against an adversary, and it costs a fraction of
/// a microsecond where SHA-256 through the platform's crypto library cost several per item.
/// </summary>
internal readonly record struct JournalFingerprint(ulong High, ulong Low)
{
    public const int HexLength = 32;

    public static JournalFingerprint Of(JournalDefinition definition, IReadOnlyList<PromptMessage> messages)
    {
        int max = definition.Hash.Length;
        for (int i = 0; i < messages.Count; i++)
        {
            max += 5 + Encoding.UTF8.GetMaxByteCount(messages[i].Content.Length);
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            Span<byte> buffer = rented;
            definition.Hash.CopyTo(buffer);
            int length = definition.Hash.Length;
            for (int i = 0; i < messages.Count; i++)
            {
                PromptMessage message = messages[i];
                buffer[length] = (byte)message.Role;
                int written = Encoding.UTF8.GetBytes(message.Content, buffer[(length + 5)..]);
                BinaryPrimitives.WriteInt32LittleEndian(buffer[(length + 1)..], written);
                length += 5 + written;
            }

            return Hash(buffer[..length]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static JournalFingerprint Of(JournalDefinition definition, string text)
    {
        int max = definition.Hash.Length + Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[] rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            definition.Hash.CopyTo(rented);
            int written = Encoding.UTF8.GetBytes(text, rented.AsSpan(definition.Hash.Length));
            return Hash(rented.AsSpan(0, definition.Hash.Length + written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static JournalFingerprint Hash(ReadOnlySpan<byte> data)
    {
        UInt128 hash = XxHash128.HashToUInt128(data);
        return new JournalFingerprint((ulong)(hash >> 64), (ulong)hash);
    }

    /// <summary>Writes the 32 lowercase hex digits.</summary>
    public void Format(Span<byte> utf8)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, High);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], Low);
        for (int i = 0; i < 16; i++)
        {
            utf8[2 * i] = Digit(bytes[i] >> 4);
            utf8[(2 * i) + 1] = Digit(bytes[i] & 0xF);
        }

        static byte Digit(int value) => (byte)(value < 10 ? '0' + value : 'a' + value - 10);
    }

    /// <summary>Reads 32 hex digits; false for anything else.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out JournalFingerprint fingerprint)
    {
        fingerprint = default;
        if (utf8.Length != HexLength)
        {
            return false;
        }

        ulong high = 0, low = 0;
        for (int i = 0; i < HexLength; i++)
        {
            int digit = utf8[i] switch
            {
                >= (byte)'0' and <= (byte)'9' => utf8[i] - '0',
                >= (byte)'a' and <= (byte)'f' => utf8[i] - 'a' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return false;
            }

            if (i < 16)
            {
                high = (high << 4) | (uint)digit;
            }
            else
            {
                low = (low << 4) | (uint)digit;
            }
        }

        fingerprint = new JournalFingerprint(high, low);
        return true;
    }

    public override string ToString()
    {
        Span<byte> utf8 = stackalloc byte[HexLength];
        Format(utf8);
        return Encoding.ASCII.GetString(utf8);
    }
}

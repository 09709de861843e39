using System.Globalization;
using System.Text;

namespace TypedBatch.Benchmarks;

/// <summary>The kinds of text the tokenizer study measures.</summary>
public enum TextKind
{
    Prose,
    Code,
    Json,
    Numbers,
    Chinese,
    Japanese,
    Emoji,
}

/// <summary>Deterministic text of a kind and length, assembled from pools of real sentences and generated data.</summary>
internal static class Texts
{
    private static readonly string[] ProseSentences =
    [
        "The quarterly report shows that revenue grew faster than expected, mostly because of new customers in Europe.",
        "Please summarize the following article in three sentences and keep the tone neutral.",
        "When the river flooded last spring, the whole village moved its market to the hill behind the old church.",
        "Our support team answers most questions within an hour, but weekend tickets may take longer.",
        "She opened the window, listened to the rain for a while, and then went back to her unfinished letter.",
        "Machine learning models are only as good as the data they are trained on, which is why labeling matters.",
        "The committee postponed its decision until the environmental assessment is complete.",
        "If you cannot log in, reset your password from the sign-in page and check your spam folder for the email.",
        "Historians still argue about the causes of the war, although most agree that trade disputes played a role.",
        "Preheat the oven, whisk the eggs with sugar until pale, fold in the flour and bake for twenty-five minutes.",
        "The new policy applies to all employees, including contractors who work on site more than two days a week.",
        "Despite the delays, the engineers managed to launch the satellite before the end of the fiscal year.",
        "Customers reported that the mobile app crashes when they rotate the screen during checkout.",
        "A good abstract states the problem, the method, the main result and why it matters, in that order.",
        "Traffic on the northern highway was heavier than usual because of the holiday weekend.",
        "I would like to cancel my subscription and receive a refund for the unused part of this month.",
    ];

    private static readonly string[] CodeSnippets =
    [
        "public static int Fibonacci(int n)\n{\n    if (n < 2) return n;\n    int a = 0, b = 1;\n    for (int i = 2; i <= n; i++) { (a, b) = (b, a + b); }\n    return b;\n}\n",
        "def merge_sorted(left, right):\n    result = []\n    i = j = 0\n    while i < len(left) and j < len(right):\n        if left[i] <= right[j]:\n            result.append(left[i]); i += 1\n        else:\n            result.append(right[j]); j += 1\n    return result + left[i:] + right[j:]\n",
        "const fetchUser = async (id) => {\n  const response = await fetch(`/api/users/${id}`);\n  if (!response.ok) throw new Error(`HTTP ${response.status}`);\n  return response.json();\n};\n",
        "SELECT c.customer_id, c.name, SUM(o.total) AS revenue\nFROM customers c\nJOIN orders o ON o.customer_id = c.customer_id\nWHERE o.created_at >= '2024-01-01'\nGROUP BY c.customer_id, c.name\nORDER BY revenue DESC\nLIMIT 20;\n",
        "fn parse_line(line: &str) -> Option<(String, u32)> {\n    let mut parts = line.splitn(2, ':');\n    let key = parts.next()?.trim().to_string();\n    let value = parts.next()?.trim().parse().ok()?;\n    Some((key, value))\n}\n",
        "services.AddHttpClient<IWeatherClient, WeatherClient>(client =>\n{\n    client.BaseAddress = new Uri(configuration[\"Weather:BaseUrl\"]!);\n    client.Timeout = TimeSpan.FromSeconds(30);\n}).AddStandardResilienceHandler();\n",
        "for f in *.log; do\n  gzip -9 \"$f\" && mv \"$f.gz\" /var/archive/$(date +%Y%m%d)/\ndone\n",
        "class LRUCache:\n    def __init__(self, capacity: int):\n        self.capacity = capacity\n        self.items = OrderedDict()\n\n    def get(self, key):\n        if key not in self.items:\n            return -1\n        self.items.move_to_end(key)\n        return self.items[key]\n",
    ];

    private static readonly string[] ChineseSentences =
    [
        "今天的天气非常好，我们决定去公园散步，顺便看看湖边新开的咖啡馆。",
        "请用三句话总结下面这篇文章的主要内容，并保持中立的语气。",
        "由于系统升级，昨晚的备份任务失败了，我们需要在周五审计之前解决这个问题。",
        "机器学习模型的效果在很大程度上取决于训练数据的质量和数量。",
        "这家公司的季度收入增长超过了预期，主要得益于欧洲市场的新客户。",
        "如果您无法登录，请在登录页面重置密码，并检查垃圾邮件文件夹。",
        "历史学家至今仍在争论这场战争的起因，但大多数人认为贸易争端起了重要作用。",
        "他打开窗户，听了一会儿雨声，然后回到书桌前继续写那封没写完的信。",
        "新政策适用于所有员工，包括每周在现场工作超过两天的合同工。",
        "客户反映，在结账过程中旋转屏幕时，手机应用程序会崩溃。",
    ];

    private static readonly string[] JapaneseSentences =
    [
        "昨日のアップデート以降、ファイルサーバーの夜間バックアップがエラーで失敗しています。",
        "次の記事を三文で要約し、中立的な口調を保ってください。",
        "駅前の新しいパン屋さんは、朝七時から営業していて、いつも行列ができています。",
        "ログインできない場合は、サインインページからパスワードをリセットしてください。",
        "会議は環境影響評価が完了するまで延期されました。",
        "彼女は窓を開けてしばらく雨の音を聞き、それから書きかけの手紙に戻った。",
    ];

    private static readonly string[] EmojiPieces =
    [
        "Great job team 🎉🎉 ", "loved it 😍❤️ ", "shipping today 🚀 ", "rainy again ☔😞 ", "coffee first ☕️ ",
        "👍 ", "🔥🔥🔥 ", "thanks! 🙏 ", "family trip 👨‍👩‍👧‍👦🏖️ ", "flags 🇫🇷🇯🇵🇧🇷 ", "bug fixed 🐛✅ ", "lol 😂😂 ",
    ];

    private static readonly string[] Words =
    [
        "alpha", "backup", "customer", "delta", "invoice", "network", "order", "priority", "quota", "refund",
        "server", "ticket", "update", "vendor", "warehouse", "Zürich", "São Paulo", "München", "premium", "renewal",
    ];

    /// <summary>Text of <paramref name="kind"/> of about <paramref name="length"/> characters (cut at a character boundary).</summary>
    public static string Make(TextKind kind, int length, int seed)
    {
        var random = new Random(seed);
        var builder = new StringBuilder(length + 256);
        while (builder.Length < length)
        {
            AppendPiece(builder, kind, random);
        }

        return Cut(builder.ToString(), length);
    }

    /// <summary>About 200 varied texts: every kind, lengths from ~20 characters to ~8 KB (log-uniform).</summary>
    public static List<(TextKind Kind, string Text)> Corpus(int count, int seed)
    {
        var random = new Random(seed);
        TextKind[] kinds = Enum.GetValues<TextKind>();
        var corpus = new List<(TextKind, string)>(count);
        for (int i = 0; i < count; i++)
        {
            TextKind kind = kinds[i % kinds.Length];
            int length = (int)Math.Round(Math.Exp(Math.Log(20) + (random.NextDouble() * (Math.Log(8192) - Math.Log(20)))));
            corpus.Add((kind, Make(kind, length, random.Next())));
        }

        return corpus;
    }

    private static void AppendPiece(StringBuilder builder, TextKind kind, Random random)
    {
        switch (kind)
        {
            case TextKind.Prose:
                builder.Append(ProseSentences[random.Next(ProseSentences.Length)]).Append(random.Next(5) == 0 ? "\n\n" : " ");
                break;
            case TextKind.Code:
                builder.Append(CodeSnippets[random.Next(CodeSnippets.Length)]).Append('\n');
                break;
            case TextKind.Chinese:
                builder.Append(ChineseSentences[random.Next(ChineseSentences.Length)]);
                break;
            case TextKind.Japanese:
                builder.Append(JapaneseSentences[random.Next(JapaneseSentences.Length)]);
                break;
            case TextKind.Emoji:
                builder.Append(EmojiPieces[random.Next(EmojiPieces.Length)]);
                break;
            case TextKind.Numbers:
                AppendNumbers(builder, random);
                break;
            case TextKind.Json:
                AppendJson(builder, random);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    private static void AppendNumbers(StringBuilder builder, Random random)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        switch (random.Next(5))
        {
            case 0:
                builder.Append((random.NextDouble() * 100000).ToString("F2", inv)).Append(", ");
                break;
            case 1:
                builder.Append(new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(random.Next(3_000_000)).ToString("yyyy-MM-dd HH:mm", inv)).Append("; ");
                break;
            case 2:
                builder.Append('+').Append(random.Next(1, 99).ToString(inv)).Append(' ').Append(random.Next(100_000_000, 999_999_999).ToString(inv)).Append(' ');
                break;
            case 3:
                builder.Append("INV-").Append(random.Next(10_000, 99_999).ToString(inv)).Append('-').Append(random.Next(100, 999).ToString(inv)).Append(' ');
                break;
            default:
                builder.Append(random.Next(0, 1_000_000).ToString("N0", inv)).Append(" | ");
                break;
        }
    }

    private static void AppendJson(StringBuilder builder, Random random)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        builder.Append("{\"id\":").Append(random.Next(1, 1_000_000).ToString(inv))
            .Append(",\"customer\":\"").Append(Words[random.Next(Words.Length)]).Append('_').Append(random.Next(1000).ToString(inv))
            .Append("\",\"status\":\"").Append(random.Next(3) switch { 0 => "open", 1 => "pending", _ => "closed" })
            .Append("\",\"amount\":").Append((random.NextDouble() * 5000).ToString("F2", inv))
            .Append(",\"tags\":[\"").Append(Words[random.Next(Words.Length)]).Append("\",\"").Append(Words[random.Next(Words.Length)])
            .Append("\"],\"created_at\":\"").Append(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(random.Next(30_000_000)).ToString("O", inv))
            .Append("\",\"notes\":null}");
        builder.Append(random.Next(3) == 0 ? ",\n" : ",");
    }

    private static string Cut(string text, int length)
    {
        if (text.Length <= length)
        {
            return text;
        }

        int end = length;
        // Never split a surrogate pair or a ZWJ sequence's pair.
        if (char.IsLowSurrogate(text[end]))
        {
            end--;
        }

        return text[..Math.Max(1, end)];
    }
}

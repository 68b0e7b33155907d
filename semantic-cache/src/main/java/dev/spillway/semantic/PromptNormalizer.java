package dev.spillway.semantic;

import static java.util.Objects.requireNonNull;

import java.text.Normalizer;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Turns the last user message into the text that is embedded and verified. Chat prompts spell the same question many
 * ways; the small embedding models are sensitive to that ("reset my pw" is at cosine 0.73 to "reset my password" with
 * bge-small, 0.94 once {@code pw} reads {@code password}), so the spelling is folded before embedding. In order:
 *
 * <ol>
 *   <li>Unicode NFKC (full-width letters, ligatures, compatibility digits), then lower case ({@link Locale#ROOT}).
 *   <li>Negated contractions are spelled out so that the negation survives as a word: {@code won't → will not},
 *       {@code can't → can not}, {@code shan't → shall not}, any other {@code Xn't → X not} (straight or curly
 *       apostrophe).
 *   <li>Dotted acronyms lose their dots ({@code u.s.a. → usa}), so they are not read as single letters.
 *   <li>Punctuation and symbols become spaces, except: a {@code .} between digits stays (3.5), a {@code ,} between
 *       digits goes (1,000 → 1000), and {@code +} or {@code #} right after a letter stays (c++, c#).
 *   <li>Whitespace collapses to single spaces, trimmed.
 *   <li>Whole words from {@link #ABBREVIATIONS} are expanded.
 * </ol>
 *
 * <p>Abbreviations (kept deliberately small: each one is a word that, standing alone in a prompt, almost never means
 * anything else): {@code pw, pwd → password}; {@code pls, plz → please}; {@code u → you}; {@code ur → your};
 * {@code thx, thnx → thanks}; {@code ty → thank you}; {@code msg → message}; {@code msgs → messages};
 * {@code acct → account}; {@code accts → accounts}; {@code info → information}; {@code btw → by the way};
 * {@code idk → i do not know}; {@code im → i am}; {@code ive → i have}; {@code b4 → before}; {@code asap → as soon as
 * possible}. Left out on purpose: {@code r} (the R language), {@code y}, {@code k}, {@code acc}.
 *
 * <p>Stateless and thread-safe.
 */
public final class PromptNormalizer {
  /** Whole-word expansions applied after punctuation folding; see the class comment. */
  public static final Map<String, String> ABBREVIATIONS = Map.ofEntries(
      Map.entry("pw", "password"), Map.entry("pwd", "password"),
      Map.entry("pls", "please"), Map.entry("plz", "please"),
      Map.entry("u", "you"), Map.entry("ur", "your"),
      Map.entry("thx", "thanks"), Map.entry("thnx", "thanks"), Map.entry("ty", "thank you"),
      Map.entry("msg", "message"), Map.entry("msgs", "messages"),
      Map.entry("acct", "account"), Map.entry("accts", "accounts"),
      Map.entry("info", "information"), Map.entry("btw", "by the way"), Map.entry("idk", "i do not know"),
      Map.entry("im", "i am"), Map.entry("ive", "i have"), Map.entry("b4", "before"),
      Map.entry("asap", "as soon as possible"));

  private static final Pattern WONT = Pattern.compile("\\bwon['\u2019]t\\b");
  private static final Pattern CANT = Pattern.compile("\\bcan['\u2019]t\\b");
  private static final Pattern SHANT = Pattern.compile("\\bshan['\u2019]t\\b");
  private static final Pattern NT = Pattern.compile("(\\p{L})n['\u2019]t\\b");
  private static final Pattern DOTTED_ACRONYM = Pattern.compile("\\b(?:\\p{L}\\.){2,}");

  private PromptNormalizer() {}

  /** The normalised form of {@code text}; empty when it holds no letters or digits. */
  public static String normalize(String text) {
    requireNonNull(text, "text");
    String s = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
    s = WONT.matcher(s).replaceAll("will not");
    s = CANT.matcher(s).replaceAll("can not");
    s = SHANT.matcher(s).replaceAll("shall not");
    s = NT.matcher(s).replaceAll("$1 not");
    s = DOTTED_ACRONYM.matcher(s).replaceAll(m -> m.group().replace(".", ""));
    return expand(fold(s));
  }

  private static String fold(String s) {
    StringBuilder out = new StringBuilder(s.length());
    boolean pendingSpace = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean keep = Character.isLetterOrDigit(c);
      if (!keep && (c == '.' || c == ',') && betweenDigits(s, i)) {
        if (c == ',') {
          continue;
        }
        keep = true;
      }
      if (!keep && (c == '+' || c == '#') && i > 0 && (Character.isLetter(s.charAt(i - 1)) || s.charAt(i - 1) == c)) {
        keep = true;
      }
      if (!keep) {
        pendingSpace = out.length() > 0;
        continue;
      }
      if (pendingSpace) {
        out.append(' ');
        pendingSpace = false;
      }
      out.append(c);
    }
    return out.toString();
  }

  private static boolean betweenDigits(String s, int i) {
    return i > 0 && i + 1 < s.length() && Character.isDigit(s.charAt(i - 1)) && Character.isDigit(s.charAt(i + 1));
  }

  private static String expand(String folded) {
    if (folded.isEmpty()) {
      return folded;
    }
    String[] words = folded.split(" ");
    StringBuilder out = new StringBuilder(folded.length() + 16);
    for (String word : words) {
      if (out.length() > 0) {
        out.append(' ');
      }
      out.append(ABBREVIATIONS.getOrDefault(word, word));
    }
    return out.toString();
  }
}

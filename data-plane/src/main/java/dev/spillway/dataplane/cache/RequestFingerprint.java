package dev.spillway.dataplane.cache;

import dev.spillway.semantic.PromptNormalizer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What identifies a request's answer, from its canonical form (the same for every client API, so an OpenAI client
 * and an Anthropic client asking the same thing share entries).
 *
 * <ul>
 *   <li>{@code requestHash}: SHA-256 of the whole request, minus the fields that do not change the answer (streaming,
 *       end-user ids, metadata, storage and prompt-cache hints). Objects are hashed with their keys sorted and
 *       numbers by value ({@code 1}, {@code 1.0} and {@code 1e0} are one number), so JSON that means the same gives
 *       the same hash whatever its key order or whitespace.
 *   <li>{@code contextHash}: the same, with the last user message's text left out: everything else that shapes the
 *       answer (system prompt, earlier turns, model or route, parameters) must match exactly for a semantic hit,
 *       since only the last message is embedded.
 *   <li>{@code lastUserText}: that message's text, or null when the last message is not a user's text (a tool
 *       result, an image): such a request skips the semantic cache.
 * </ul>
 */
record RequestFingerprint(String requestHash, String contextHash, String lastUserText) {
  /** Fields that do not change the answer. */
  static final Set<String> IGNORED = Set.of("stream", "stream_options", "user", "metadata", "prompt_cache_key",
      "safety_identifier", "store", "service_tier");

  static RequestFingerprint of(ObjectNode canonical, String model) {
    JsonNode messages = canonical.path("messages");
    JsonNode last = messages.isArray() && !messages.isEmpty() ? messages.get(messages.size() - 1) : null;
    String lastUserText = last != null && "user".equals(last.path("role").asString("")) ? text(last.get("content"))
        : null;
    MessageDigest request = sha256();
    MessageDigest context = sha256();
    update(request, model);
    update(context, model);
    hashObject(canonical, request, null);
    hashObject(canonical, context, lastUserText == null ? null : last);
    return new RequestFingerprint(hex(request), hex(context), lastUserText);
  }

  /** The semantic text of the last user message, normalised, or null when there is none to match on. */
  String normalisedPrompt() {
    if (lastUserText == null) {
      return null;
    }
    String normalised = PromptNormalizer.normalize(lastUserText);
    return normalised.isBlank() ? null : normalised;
  }

  /** A string, or text parts only (joined by newlines); null for anything else. */
  private static String text(JsonNode content) {
    if (content == null) {
      return null;
    }
    if (content.isString()) {
      return content.asString();
    }
    if (!content.isArray()) {
      return null;
    }
    List<String> parts = new ArrayList<>();
    for (JsonNode part : content) {
      if (!"text".equals(part.path("type").asString("")) || !part.path("text").isString()) {
        return null;
      }
      parts.add(part.get("text").asString());
    }
    return parts.isEmpty() ? null : String.join("\n", parts);
  }

  /** The canonical request's top level: ignored fields left out; {@code skipContentOf}'s content hashed as absent. */
  private static void hashObject(ObjectNode canonical, MessageDigest digest, JsonNode skipContentOf) {
    List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
    for (Map.Entry<String, JsonNode> field : canonical.properties()) {
      if (!IGNORED.contains(field.getKey())) {
        fields.add(field);
      }
    }
    fields.sort(Map.Entry.comparingByKey());
    digest.update((byte) '{');
    for (Map.Entry<String, JsonNode> field : fields) {
      update(digest, field.getKey());
      hash(field.getValue(), digest, skipContentOf);
    }
    digest.update((byte) '}');
  }

  private static void hash(JsonNode node, MessageDigest digest, JsonNode skipContentOf) {
    if (node.isObject()) {
      List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(node.properties());
      fields.sort(Map.Entry.comparingByKey());
      digest.update((byte) '{');
      for (Map.Entry<String, JsonNode> field : fields) {
        if (node == skipContentOf && field.getKey().equals("content")) {
          continue;
        }
        update(digest, field.getKey());
        hash(field.getValue(), digest, skipContentOf);
      }
      digest.update((byte) '}');
    } else if (node.isArray()) {
      digest.update((byte) '[');
      for (JsonNode item : node) {
        hash(item, digest, skipContentOf);
      }
      digest.update((byte) ']');
    } else if (node.isString()) {
      digest.update((byte) 's');
      update(digest, node.asString());
    } else if (node.isNumber()) {
      digest.update((byte) 'n');
      BigDecimal value = node.decimalValue();
      update(digest, value.signum() == 0 ? "0" : value.stripTrailingZeros().toPlainString());
    } else if (node.isBoolean()) {
      digest.update(node.asBoolean() ? (byte) 't' : (byte) 'f');
    } else {
      digest.update((byte) 'z');
    }
  }

  /** Length-prefixed, so that no two sequences of strings hash the same bytes. */
  private static void update(MessageDigest digest, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    int n = bytes.length;
    digest.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
    digest.update(bytes);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }
}

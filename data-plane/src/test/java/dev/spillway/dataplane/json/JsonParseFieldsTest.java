package dev.spillway.dataplane.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

class JsonParseFieldsTest {
  private static ObjectNode parse(String json, Set<String> fields) {
    ByteBuf buf = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
    try {
      ObjectNode node = Json.parseFields(buf, fields);
      assertThat(buf.readerIndex()).as("the body is not consumed").isZero();
      return node;
    } finally {
      buf.release();
    }
  }

  @Test
  void keepsOnlyTheNamedTopLevelFields() {
    ObjectNode node = parse("{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"\\\"usage\\\":{}\"}}],"
        + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4},\"n\":null}\n", Set.of("usage", "n"));

    assertThat(node.propertyNames()).containsExactlyInAnyOrder("usage", "n");
    assertThat(node.path("usage").path("completion_tokens").asInt()).isEqualTo(4);
    assertThat(node.get("n").isNull()).isTrue();
  }

  @Test
  void keepsEverythingWithoutAFieldList() {
    assertThat(parse("{\"a\":1,\"b\":[true]}", null).toString()).isEqualTo("{\"a\":1,\"b\":[true]}");
  }

  @Test
  void refusesWhatIsNotOneJsonObject() {
    assertThatThrownBy(() -> parse("[1]", Set.of("usage"))).isInstanceOf(RuntimeException.class);
    assertThatThrownBy(() -> parse("{\"a\":[1,}", Set.of("usage"))).isInstanceOf(RuntimeException.class);
    assertThatThrownBy(() -> parse("{\"a\":1} {", Set.of("usage"))).isInstanceOf(RuntimeException.class);
    assertThatThrownBy(() -> parse("", Set.of("usage"))).isInstanceOf(RuntimeException.class);
  }
}

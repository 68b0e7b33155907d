package dev.spillway.controlplane.common;

import com.fasterxml.jackson.annotation.JsonInclude;

/** The admin API's error body. */
public record ApiError(Detail error) {
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record Detail(String message, String field) {}

  public static ApiError of(String message, String field) {
    return new ApiError(new Detail(message, field));
  }
}

package dev.spillway.controlplane;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.scheduling.annotation.EnableScheduling;

/** The Spillway control plane: config in PostgreSQL, the admin API, and config snapshots for the nodes. */
@SpringBootApplication
@ConfigurationPropertiesScan
@EnableScheduling
public class ControlPlaneApplication {
  public static void main(String[] args) {
    SpringApplication.run(ControlPlaneApplication.class, args);
  }
}

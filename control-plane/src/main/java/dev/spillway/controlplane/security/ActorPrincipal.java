package dev.spillway.controlplane.security;

/**
 * A principal that stands for an {@link Actor} without being one: the dashboard's signed-in user is an OIDC user
 * (Spring Security needs its ID token for logout) and carries the actor that authorisation and the audit log use.
 */
public interface ActorPrincipal {
  Actor actor();
}

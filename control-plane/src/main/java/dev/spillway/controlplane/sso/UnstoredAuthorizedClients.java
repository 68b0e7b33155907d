package dev.spillway.controlplane.sso;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.web.OAuth2AuthorizedClientRepository;

/**
 * Keeps no authorized client. The dashboard signs people in and calls no API on their behalf, so it needs neither
 * the IdP's access and refresh tokens nor the client registration (with its client secret) that an
 * {@link OAuth2AuthorizedClient} carries; kept in the session, all of it would be written to the session table.
 * What sign-out needs (the ID token, for RP-initiated logout) is in the principal, {@link SessionUser}.
 */
public final class UnstoredAuthorizedClients implements OAuth2AuthorizedClientRepository {

  @Override
  public <T extends OAuth2AuthorizedClient> T loadAuthorizedClient(String clientRegistrationId,
      Authentication principal, HttpServletRequest request) {
    return null;
  }

  @Override
  public void saveAuthorizedClient(OAuth2AuthorizedClient authorizedClient, Authentication principal,
      HttpServletRequest request, HttpServletResponse response) {
    // Deliberately not kept; see the class comment.
  }

  @Override
  public void removeAuthorizedClient(String clientRegistrationId, Authentication principal,
      HttpServletRequest request, HttpServletResponse response) {
    // Nothing was kept.
  }
}

// Start Swagger UI on the OpenAPI page from the platform's own copy (no inline script:
// the console's Content-Security-Policy allows scripts from this server only).
window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  if (!root || !window.SwaggerUIBundle) return;
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // 140-odd operations: tags start closed and the schema list is left out, so the page
    // lays out in a fraction of the time (a tag opens on click; each operation shows its
    // own schemas).
    docExpansion: "none",
    defaultModelsExpandDepth: -1,
  });
});

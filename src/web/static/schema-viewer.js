// Starts the OpenAPI viewer of /schema (Swagger UI, served by the app itself): a file rather
// than an inline script, so the page's Content-Security-Policy allows scripts from 'self' only.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: document.body.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null  // no badge fetched from another site
  });
});

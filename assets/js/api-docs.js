// Renders the generated OpenAPI document with the embedded Swagger UI.
// validatorUrl: null keeps the page from calling an outside validator.
window.addEventListener('DOMContentLoaded', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/openapi.json',
    dom_id: '#swagger-ui',
    presets: [SwaggerUIBundle.presets.apis],
    validatorUrl: null,
    deepLinking: true,
  });
});

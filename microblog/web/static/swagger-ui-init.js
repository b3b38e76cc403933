// Starts Swagger UI on /docs with the spec URL and settings the page carries (swagger_ui.html).
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  var config = {url: container.dataset.specUrl, dom_id: "#swagger-ui-container"};
  window.ui = SwaggerUIBundle(Object.assign(config, JSON.parse(container.dataset.config)));
});

// A long <select> made searchable: an input with data-filters="ID" narrows
// the options of select#ID to those whose text contains what is typed, and
// selects the first of them. Without scripts the select works as it is.
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('input[data-filters]').forEach(function (input) {
    var select = document.getElementById(input.getAttribute('data-filters'));
    if (!select) return;
    input.hidden = false;
    var label = document.querySelector('label[for="' + input.id + '"]');
    if (label) label.hidden = false;
    input.addEventListener('input', function () {
      var q = input.value.trim().toLowerCase();
      var first = null;
      Array.prototype.forEach.call(select.options, function (o) {
        var match = q === '' || o.text.toLowerCase().indexOf(q) >= 0 || o.value.toLowerCase().indexOf(q) >= 0;
        o.hidden = !match;
        if (match && first === null) first = o;
      });
      if (first && select.selectedOptions[0] && select.selectedOptions[0].hidden) first.selected = true;
    });
  });
});

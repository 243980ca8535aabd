// Progressive enhancements only: every page works without this file.
(function () {
  // Send a screen reader straight to the list of problems (autofocus alone is not reliable).
  var summary = document.querySelector('.error-summary');
  if (summary) { summary.focus(); }
}());

// "Leave this page quickly": with script, leaving replaces this page in the history
// (Back will not return here) and pressing Escape three times in quick succession leaves too.
(function () {
  var link = document.querySelector('.quick-exit');
  if (!link) { return; }
  document.documentElement.classList.add('js-enabled');
  function leave(event) {
    if (event) { event.preventDefault(); }
    document.body.style.display = 'none';
    window.location.replace(link.href);
  }
  link.addEventListener('click', leave);
  var presses = [];
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape') { return; }
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 1500; });
    presses.push(now);
    if (presses.length >= 3) { leave(); }
  });
}());

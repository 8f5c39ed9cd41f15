/* The hotline screen, keyboard first (feedback/hotline.py): in a textarea marked data-enter-submits,
   Enter registers (the form's default button) and Shift+Enter starts a new line. While an input method
   is composing (pinyin), Enter picks the characters and submits nothing. */
(function () {
  "use strict";

  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (!(field instanceof HTMLTextAreaElement) || !field.hasAttribute("data-enter-submits")) {
      return;
    }
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) {
      return;
    }
    var form = field.form;
    if (!form) {
      return;
    }
    event.preventDefault();
    var submitter = form.querySelector("[data-default-submit]");
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit(submitter || undefined);
    } else {
      form.submit();
    }
  });
})();

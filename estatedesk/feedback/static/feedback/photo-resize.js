/* Phone photos made smaller before they are sent (issue 11): every <input type="file" data-downscale>
   replaces each large picture it is given by a JPEG of at most 2048 px on its long side (quality 0.85),
   turned upright from its EXIF orientation, so a 12 MB camera photo goes through the server's 10 MB cap
   (which stays: photos.py). A picture that is small already, a GIF (it may move), or one the browser
   cannot decode is sent as it is. While pictures are being made smaller the form's submit buttons wait
   (the form carries data-downscaling), and a submit started meanwhile is held until they are ready.
   No inline script (Content-Security-Policy): this file is included by the page. */
(function () {
  "use strict";

  var MAX_SIDE = 2048;
  var QUALITY = 0.85;
  var SMALL_ENOUGH = 1536 * 1024; // bytes: a picture under this and within MAX_SIDE is left alone

  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, {imageOrientation: "from-image"}).catch(function () {
        return createImageBitmap(file);
      });
    }
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var image = new Image();
      image.onload = function () { URL.revokeObjectURL(url); resolve(image); };
      image.onerror = function () { URL.revokeObjectURL(url); reject(new Error("decode")); };
      image.src = url;
    });
  }

  function jpegName(name) {
    var stem = (name || "photo").replace(/\.[^.]*$/, "");
    return (stem || "photo") + ".jpg";
  }

  function downscale(file) {
    if (!/^image\//.test(file.type) || file.type === "image/gif") {
      return Promise.resolve(file);
    }
    return decode(file).then(function (picture) {
      var width = picture.width, height = picture.height;
      var scale = Math.min(1, MAX_SIDE / Math.max(width, height));
      if (scale === 1 && file.size <= SMALL_ENOUGH) {
        if (picture.close) { picture.close(); }
        return file;
      }
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(width * scale));
      canvas.height = Math.max(1, Math.round(height * scale));
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff"; // a transparent PNG becomes a JPEG on white, not black
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(picture, 0, 0, canvas.width, canvas.height);
      if (picture.close) { picture.close(); }
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) {
            resolve(file); // nothing gained: send the original
            return;
          }
          resolve(new File([blob], jpegName(file.name), {type: "image/jpeg", lastModified: Date.now()}));
        }, "image/jpeg", QUALITY);
      });
    }).catch(function () {
      return file; // not decodable here (HEIC on some browsers): the server says what it thinks of it
    });
  }

  function buttons(form) {
    return form.querySelectorAll("button[type=submit], input[type=submit], button:not([type])");
  }

  function setBusy(form, busy) {
    var count = Number(form.getAttribute("data-downscaling") || 0) + (busy ? 1 : -1);
    if (count > 0) {
      form.setAttribute("data-downscaling", String(count));
    } else {
      form.removeAttribute("data-downscaling");
    }
    Array.prototype.forEach.call(buttons(form), function (button) {
      button.disabled = count > 0;
    });
    if (count <= 0 && form._downscaleSubmitter !== undefined) {
      var submitter = form._downscaleSubmitter;
      form._downscaleSubmitter = undefined;
      if (form.requestSubmit) { form.requestSubmit(submitter || undefined); } else { form.submit(); }
    }
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.hasAttribute("data-downscale")) {
      return;
    }
    if (!input.files || !input.files.length || typeof DataTransfer === "undefined") {
      return;
    }
    var form = input.form;
    var files = Array.prototype.slice.call(input.files);
    var choice = {}; // a newer choice of files wins over this one, if it comes before this one is ready
    input._downscaleChoice = choice;
    if (form) { setBusy(form, true); }
    Promise.all(files.map(downscale)).then(function (results) {
      var changed = results.some(function (result, index) { return result !== files[index]; });
      if (changed && input._downscaleChoice === choice) {
        var transfer = new DataTransfer();
        results.forEach(function (result) { transfer.items.add(result); });
        input.files = transfer.files;
        input.setAttribute("data-downscaled", String(results.filter(function (r, i) { return r !== files[i]; }).length));
      }
    }).finally(function () {
      if (form) { setBusy(form, false); }
    });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-downscaling")) {
      event.preventDefault(); // sent as soon as the pictures are ready
      form._downscaleSubmitter = event.submitter || null;
    }
  }, true);
})();

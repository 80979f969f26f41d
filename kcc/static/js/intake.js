// The registration form, enhanced: drafts that survive a crash, Ctrl+Enter to save, contact
// fields only when needed, suggestions and caller history while typing. Without this file the
// form still works: every action is a plain form submit.
(function () {
  "use strict";

  var form = document.getElementById("question-form");
  if (!form) { return; }

  var draftKey = form.dataset.draftKey;
  var tokenField = form.elements.namedItem("submission_token");
  var textField = form.elements.namedItem("text");
  var answerField = form.elements.namedItem("answer");
  var sourceKind = form.elements.namedItem("answer_source_kind");
  var sourceId = form.elements.namedItem("answer_source_id");
  var submitButton = form.elements.namedItem("submit");
  var skippedFields = { csrf_token: true, submit: true, lookup_history: true };
  var DRAFT_LIFETIME_MS = 8 * 60 * 60 * 1000;

  function debounce(fn, wait) {
    var timer = null;
    return function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fn, wait);
    };
  }

  // --- Drafts: everything typed is kept in this browser until the question is saved. ---

  function readDraft() {
    try {
      return JSON.parse(window.localStorage.getItem(draftKey) || "null");
    } catch (error) {
      return null;
    }
  }

  function collectValues() {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || skippedFields[element.name]) { return; }
      if (element.type === "checkbox") {
        values[element.name] = element.checked;
      } else if (element.type === "radio") {
        if (element.checked) { values[element.name] = element.value; }
      } else {
        values[element.name] = element.value;
      }
    });
    return values;
  }

  function saveDraft() {
    var values = collectValues();
    if (!(values.text || "").trim() && !(values.answer || "").trim()) {
      window.localStorage.removeItem(draftKey);
      return;
    }
    try {
      window.localStorage.setItem(draftKey, JSON.stringify({ token: tokenField.value, values: values, savedAt: Date.now() }));
    } catch (error) {
      // Storage full or disabled: the form itself still works.
    }
  }

  function applyValues(values) {
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || skippedFields[element.name] || !(element.name in values)) { return; }
      if (element.type === "checkbox") {
        element.checked = Boolean(values[element.name]);
      } else if (element.type === "radio") {
        element.checked = element.value === values[element.name];
      } else {
        element.value = values[element.name];
      }
    });
  }

  function restoreDraft() {
    var draft = readDraft();
    if (!draft) { return; }
    // A draft is for the call that was interrupted, not for tomorrow's colleague at this PC.
    if (!draft.savedAt || Date.now() - draft.savedAt > DRAFT_LIFETIME_MS) {
      window.localStorage.removeItem(draftKey);
      return;
    }
    if (form.dataset.savedToken && draft.token === form.dataset.savedToken) {
      window.localStorage.removeItem(draftKey);  // that draft was saved: it is done
      return;
    }
    // The same token means the server already re-showed this draft (after an error).
    if (draft.token === tokenField.value) { return; }
    applyValues(draft.values);  // includes its token, so a retry cannot store it twice
    var notice = document.getElementById("draft-notice");
    notice.hidden = false;
    document.getElementById("draft-discard").addEventListener("click", function () {
      window.localStorage.removeItem(draftKey);
      window.location.reload();
    });
  }

  // --- Keyboard: Ctrl+Enter (Cmd+Enter on a Mac) saves from any field. ---

  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (form.requestSubmit) { form.requestSubmit(submitButton); } else { submitButton.click(); }
    }
  });

  // --- Contact fields: only asked for when someone must get back to the caller. ---

  var contactFields = document.getElementById("contact-fields");
  var escalate = form.elements.namedItem("escalate");
  var callback = form.elements.namedItem("callback_requested");

  function contactNeeded() {
    if (escalate.checked || callback.checked) { return true; }
    if (contactFields.querySelector(".error-message")) { return true; }
    return ["contact_name", "contact_phone", "contact_email"].some(function (name) {
      return form.elements.namedItem(name).value.trim() !== "";
    });
  }

  function updateContactFields() {
    contactFields.hidden = !contactNeeded();
  }

  escalate.addEventListener("change", updateContactFields);
  callback.addEventListener("change", updateContactFields);

  // --- Suggestions: earlier answers to similar questions, chosen with a button. ---

  var suggestionsBox = document.getElementById("suggestions");
  var sourceNote = document.getElementById("answer-source-note");
  var lastQuery = "";

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  function useSuggestion(suggestion) {
    answerField.value = suggestion.answer;
    sourceKind.value = suggestion.kind;
    sourceId.value = String(suggestion.id);
    sourceNote.textContent = "Antwoord overgenomen van " + (suggestion.reference || "een eerdere vraag") + ". U kunt het nog aanpassen.";
    saveDraft();
    answerField.focus();
  }

  var topicField = form.elements.namedItem("topic_id");
  var sentimentField = form.elements.namedItem("sentiment");

  function percent(value) { return Math.round(value * 100) + "%"; }

  function renderPrediction(data) {
    if (!data.topic && !data.sentiment) { return; }
    var parts = [];
    if (data.topic) { parts.push("onderwerp " + data.topic.name + " (" + percent(data.topic.confidence) + ")"); }
    if (data.sentiment) { parts.push("sentiment " + data.sentiment.label + " (" + percent(data.sentiment.confidence) + ")"); }
    var box = element("div", "", "topic-suggestion");
    box.appendChild(element("p", "Voorspeld: " + parts.join(", ") + "."));
    var accept = element("button", "Neem voorspelling over", "button-secondary");
    accept.type = "button";
    accept.addEventListener("click", function () {
      if (data.topic) { topicField.value = String(data.topic.id); }
      if (data.sentiment) { sentimentField.value = data.sentiment.label; }
      sourceNote.textContent = "Onderwerp en sentiment overgenomen; u kunt ze nog wijzigen.";
      saveDraft();
      topicField.focus();
    });
    box.appendChild(accept);
    suggestionsBox.appendChild(box);
  }

  // Only the topics of the chosen crisis are offered.
  function showTopicsOfCrisis() {
    var crisisSelect = form.elements.namedItem("crisis_id");
    var crisisName = crisisSelect.options[crisisSelect.selectedIndex] ? crisisSelect.options[crisisSelect.selectedIndex].text : "";
    Array.prototype.forEach.call(topicField.querySelectorAll("optgroup"), function (group) {
      var hidden = group.label !== crisisName;
      group.hidden = hidden;
      group.disabled = hidden;
      if (hidden && group.contains(topicField.selectedOptions[0])) { topicField.value = ""; }
    });
  }

  function renderSuggestions(data) {
    suggestionsBox.textContent = "";
    renderPrediction(data);
    if (!data.suggestions.length) {
      suggestionsBox.appendChild(element("p", "Geen vergelijkbare eerdere vragen gevonden.", "hint"));
      return;
    }
    var list = element("ul", "", "suggestion-list");
    data.suggestions.forEach(function (suggestion) {
      var item = element("li", "", "suggestion");
      if (suggestion.kind === "faq") {
        item.classList.add("suggestion-faq");
        item.appendChild(element("p", "Veelgestelde vraag (" + suggestion.scope + ")", "suggestion-kind"));
        if (suggestion.needs_check) {
          item.appendChild(element("p", "Controleren: er is een nieuwere maatregel. Check het antwoord voordat u het gebruikt.", "tag tag-overdue"));
        }
      }
      item.appendChild(element("p", "Vraag: " + suggestion.question));
      item.appendChild(element("p", "Antwoord: " + suggestion.answer));
      var button = element("button", "Gebruik dit antwoord", "button-secondary");
      button.type = "button";
      button.setAttribute("aria-label", "Gebruik dit antwoord van " + (suggestion.reference || "een eerdere vraag"));
      button.addEventListener("click", function () { useSuggestion(suggestion); });
      item.appendChild(button);
      list.appendChild(item);
    });
    suggestionsBox.appendChild(list);
  }

  var fetchSuggestions = debounce(function () {
    var text = textField.value.trim();
    var crisis = form.elements.namedItem("crisis_id").value;
    var query = crisis + "|" + text;
    if (text.length < 8 || query === lastQuery) { return; }
    lastQuery = query;
    var url = form.dataset.suggestUrl + "?crisis_id=" + encodeURIComponent(crisis) + "&text=" + encodeURIComponent(text);
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && query === lastQuery) { renderSuggestions(data); } })
      .catch(function () { /* suggestions are a help, not a requirement */ });
  }, 250);

  textField.addEventListener("input", fetchSuggestions);
  form.elements.namedItem("crisis_id").addEventListener("change", fetchSuggestions);
  form.elements.namedItem("crisis_id").addEventListener("change", showTopicsOfCrisis);
  answerField.addEventListener("input", function () {
    if (!answerField.value.trim()) {
      sourceKind.value = "";
      sourceId.value = "";
      sourceNote.textContent = "";
    }
  });

  // --- Caller history: earlier contacts with the same phone number or e-mail address. ---

  var historyBox = document.getElementById("caller-history");
  var lastLookup = "";
  function lookUpHistory() {
    if (!form.dataset.historyUrl || !historyBox) { return; }
    var phone = form.elements.namedItem("contact_phone").value.trim();
    var email = form.elements.namedItem("contact_email").value.trim();
    var lookup = phone + "|" + email;
    if ((!phone && !email) || lookup === lastLookup) { return; }
    lastLookup = lookup;
    var url = form.dataset.historyUrl + "?phone=" + encodeURIComponent(phone) + "&email=" + encodeURIComponent(email);
    window.fetch(url, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null && lookup === lastLookup) { historyBox.innerHTML = html; } })
      .catch(function () { /* the button still looks up without JavaScript */ });
  }
  ["contact_phone", "contact_email"].forEach(function (name) {
    form.elements.namedItem(name).addEventListener("change", lookUpHistory);
  });

  restoreDraft();
  updateContactFields();
  showTopicsOfCrisis();
  form.addEventListener("input", debounce(saveDraft, 300));
  form.addEventListener("change", saveDraft);
  if (textField.value.trim()) { fetchSuggestions(); }
})();

// The "IoT AI" sidebar tab (docs/nodes/ml-model.md#the-iot-ai-sidebar): the deployed models, their metrics, drift
// and saved versions, with rollback. Read from the admin endpoints of src/nodes/ml-model/sidebar.ts.
(function () {
    if (!RED.sidebar || typeof RED.sidebar.addTab !== "function") { return; }
    var TAB = "iot-ai";
    var REFRESH_MS = 5000;
    var SHOWN_FEATURES = 8;
    var SHOWN_BARS = 10;
    var METRICS = ["accuracy", "macroF1", "mae", "rmse", "r2", "rows", "trainRows", "evaluation"];
    /** A message of the ml-model catalogue (the sidebar's words are under ml-model.sidebar). */
    function t(key, args) {
        var type = RED.nodes.getType("ml-model");
        return type && typeof type._ === "function" ? type._("ml-model.sidebar." + key, args) : key;
    }
    function number(v, digits) {
        if (typeof v !== "number" || !isFinite(v)) { return String(v); }
        return Number.isInteger(v) ? String(v) : v.toFixed(digits === undefined ? 3 : digits);
    }
    function canWrite() { return !RED.user || typeof RED.user.hasPermission !== "function" || RED.user.hasPermission("ml-model.write"); }

    var content = $('<div class="iot-ai-sidebar">');
    var toolbar = $('<div class="iot-ai-sidebar-toolbar">').appendTo(content);
    $('<button type="button" class="red-ui-button red-ui-button-small iot-ai-sidebar-refresh">')
        .append($('<i class="fa fa-refresh">')).append(" ").append($("<span>").text(t("refresh")))
        .appendTo(toolbar).on("click", function () { refresh(true); });
    var updated = $('<span class="iot-ai-sidebar-updated">').appendTo(toolbar);
    var list = $('<div class="iot-ai-sidebar-models">').appendTo(content);
    /** Sections the user folded and feature lists shown whole, by config id, kept across refreshes. */
    var folded = {};
    var wholeFeatures = {};
    /**
     * Each config's saved versions as last read, with the live version they were read for: the 5-second poll redraws
     * from them (no flicker, no request) until the live version changes; a deploy, refresh or rollback reads them again.
     */
    var versionsRead = {};
    var timer = null;
    var asked = 0;

    function section(parent, title, cls) {
        var box = $('<div class="iot-ai-sidebar-section">').addClass(cls || "").appendTo(parent);
        $('<div class="iot-ai-sidebar-heading">').text(title).appendTo(box);
        return box;
    }

    /** Horizontal bars (a picture of importances or drift): [{ name, value, text, cls }], scaled to `max`. */
    function bars(parent, rows, max, cls) {
        var table = $('<div class="iot-ai-sidebar-bars">').addClass(cls || "").appendTo(parent);
        rows.forEach(function (r) {
            var row = $('<div class="iot-ai-sidebar-bar-row">').attr("data-feature", r.name).appendTo(table);
            $('<span class="iot-ai-sidebar-bar-name">').text(r.name).attr("title", r.name).appendTo(row);
            var track = $('<span class="iot-ai-sidebar-bar-track">').appendTo(row);
            var width = max > 0 ? Math.max(1, Math.min(100, (r.value / max) * 100)) : 0;
            $('<span class="iot-ai-sidebar-bar">').addClass(r.cls || "").css("width", width + "%").appendTo(track);
            $('<span class="iot-ai-sidebar-bar-value">').text(r.text).appendTo(row);
        });
        return table;
    }

    /** confusion[actual][predicted] as a heat map: each cell shaded by its share of the actual class. */
    function confusion(parent, matrix, labels) {
        var table = $('<table class="iot-ai-sidebar-confusion">').appendTo(parent);
        var head = $("<tr>").appendTo(table);
        $("<th>").text(t("actualPredicted")).appendTo(head);
        labels.forEach(function (l) { $("<th>").text(String(l)).attr("title", String(l)).appendTo(head); });
        matrix.forEach(function (row, i) {
            var tr = $("<tr>").appendTo(table);
            $("<th>").text(String(labels[i] !== undefined ? labels[i] : i)).appendTo(tr);
            var total = row.reduce(function (a, b) { return a + b; }, 0);
            row.forEach(function (count, j) {
                var share = total > 0 ? count / total : 0;
                var hue = i === j ? "46, 160, 67" : "214, 69, 65";
                $("<td>").text(count).attr("title", t("cell", { actual: String(labels[i]), predicted: String(labels[j]), share: Math.round(share * 100) }))
                    .css("background-color", "rgba(" + hue + ", " + (0.08 + 0.8 * share).toFixed(2) + ")").css("color", share > 0.5 ? "#fff" : "").appendTo(tr);
            });
        });
    }

    function renderMetrics(box, model) {
        var metrics = model.metrics || {};
        var shown = METRICS.filter(function (k) { return metrics[k] !== undefined && (typeof metrics[k] === "number" || typeof metrics[k] === "string"); });
        if (shown.length === 0) { return; }
        var s = section(box, t("metrics"), "iot-ai-sidebar-metrics");
        var table = $('<table class="iot-ai-sidebar-table">').appendTo(s);
        shown.forEach(function (k) {
            var tr = $('<tr class="iot-ai-sidebar-metric">').attr("data-metric", k).appendTo(table);
            $("<td>").text(t("metric." + k)).appendTo(tr);
            $('<td class="iot-ai-sidebar-metric-value">').text(typeof metrics[k] === "number" ? number(metrics[k]) : metrics[k]).appendTo(tr);
        });
        if (Array.isArray(metrics.confusion) && Array.isArray(model.labels) && metrics.confusion.length === model.labels.length) {
            confusion(section(box, t("confusion"), "iot-ai-sidebar-confusion-box"), metrics.confusion, model.labels);
        }
    }

    function renderImportances(box, importances) {
        if (!importances) { return; }
        var rows = Object.keys(importances).map(function (name) { return { name: name, value: importances[name], text: number(importances[name], 3) }; })
            .sort(function (a, b) { return b.value - a.value; }).slice(0, SHOWN_BARS);
        if (rows.length === 0) { return; }
        bars(section(box, t("importances"), "iot-ai-sidebar-importances"), rows, rows[0].value, "iot-ai-sidebar-importance-bars");
    }

    function renderDrift(box, predictors) {
        var s = section(box, t("drift"), "iot-ai-sidebar-drift");
        if (predictors.length === 0) { $('<div class="iot-ai-sidebar-note">').text(t("noPredict")).appendTo(s); return; }
        predictors.forEach(function (p) {
            var row = $('<div class="iot-ai-sidebar-predictor">').attr("data-id", p.id).appendTo(s);
            var title = $('<div class="iot-ai-sidebar-predictor-name">').appendTo(row);
            // The editor's own label of the node (its name, else "model predict"), as on the canvas.
            var drawn = RED.nodes.node(p.id);
            var name = drawn && RED.utils && typeof RED.utils.getNodeLabel === "function" ? RED.utils.getNodeLabel(drawn, p.name) : p.name;
            $('<a href="#">').text(name).appendTo(title).on("click", function (e) { e.preventDefault(); RED.view.reveal(p.id); });
            if (!p.counts) { $('<div class="iot-ai-sidebar-note">').text(t("notRunning")).appendTo(row); return; }
            $('<div class="iot-ai-sidebar-note">').text(t("counts", p.counts)).appendTo(row);
            var a = p.accuracy;
            var live = $('<div class="iot-ai-sidebar-live-accuracy">').appendTo(row);
            if (a && a.samples > 0) {
                live.text(a.mae !== undefined ? t("liveMae", { mae: number(a.mae), samples: a.samples }) : t("liveAccuracy", { accuracy: number(a.accuracy), samples: a.samples }));
            } else {
                live.addClass("iot-ai-sidebar-note").text(t("noTruth"));
            }
            var d = p.drift;
            if (!d || !d.enabled) { $('<div class="iot-ai-sidebar-note">').text(t("driftOff")).appendTo(row); return; }
            var state = !d.ready ? t("driftWarming", { samples: d.samples, window: d.windowSize }) :
                d.drifted > 0 ? t("driftDrifted", { streams: d.drifted, threshold: d.threshold }) : t("driftStable", { samples: d.samples, threshold: d.threshold });
            $('<div class="iot-ai-sidebar-drift-state">').toggleClass("iot-ai-sidebar-drifted", d.drifted > 0).text(state).appendTo(row);
            var rows = d.features.slice().sort(function (a, b) { return b.psi - a.psi; }).slice(0, SHOWN_BARS).map(function (f) {
                var level = f.drifted > 0 ? "iot-ai-sidebar-bar-drifted" : f.psi >= 0.1 ? "iot-ai-sidebar-bar-moderate" : "iot-ai-sidebar-bar-stable";
                return { name: f.name, value: f.psi, text: number(f.psi, 3), cls: level };
            });
            if (d.samples > 0) { bars(row, rows, Math.max(d.threshold * 1.5, rows.length ? rows[0].value : 0), "iot-ai-sidebar-drift-bars"); }
        });
    }

    function rollback(config, version, button) {
        button.prop("disabled", true);
        $.ajax({ url: "iot-ai/models/deployed/" + encodeURIComponent(config.id) + "/rollback", type: "POST", contentType: "application/json", data: JSON.stringify({ version: version }) })
            .done(function (answer) {
                RED.notify(t("rolledBack", { label: config.label, version: answer.rolledBack.version, replaced: answer.replaced || "" }), { type: "success", timeout: 4000 });
                refresh(true);
            })
            .fail(function (xhr) {
                var reason = (xhr.responseJSON && xhr.responseJSON.error) || (xhr.status === 401 || xhr.status === 403 ? t("notAllowed") : xhr.statusText);
                RED.notify(t("rollbackFailed", { error: reason }), "error");
                button.prop("disabled", false);
            });
    }

    function renderVersions(box, config) {
        var s = section(box, t("versions"), "iot-ai-sidebar-versions");
        if (config.readOnly) { $('<div class="iot-ai-sidebar-note">').text(t("readOnly")).appendTo(s); return; }
        var body = $('<div class="iot-ai-sidebar-note">').text(t("loading")).appendTo(s);
        var liveNow = config.model ? config.model.version : undefined;
        var known = versionsRead[config.id];
        if (known && known.live === liveNow) { showVersions(body, config, known.answer); return; }
        $.getJSON("iot-ai/models/deployed/" + encodeURIComponent(config.id) + "/versions").done(function (answer) {
            versionsRead[config.id] = { live: liveNow, answer: answer };
            showVersions(body, config, answer);
        }).fail(function (xhr) {
            body.text(t("unavailable", { error: (xhr.responseJSON && xhr.responseJSON.error) || xhr.statusText }));
        });
    }

    function showVersions(body, config, answer) {
        body.empty().removeClass("iot-ai-sidebar-note");
        var live = answer.live;
        var versions = answer.versions.map(function (v) { return v.version; });
        if (live !== undefined && versions.indexOf(live) === -1) { versions.push(live); }
        if (versions.length <= 1) { $('<div class="iot-ai-sidebar-note">').text(t("noVersions")).appendTo(body); }
        var pinned = {};
        answer.versions.forEach(function (v) { pinned[v.version] = v.pinned; });
        versions.slice().reverse().forEach(function (version) {
            var row = $('<div class="iot-ai-sidebar-version">').attr("data-version", version).appendTo(body);
            $('<span class="iot-ai-sidebar-version-name">').text("v" + version).appendTo(row);
            if (pinned[version]) { $('<span class="iot-ai-sidebar-tag">').text(t("pinned")).appendTo(row); }
            if (version === live) { $('<span class="iot-ai-sidebar-tag iot-ai-sidebar-live">').text(t("live")).appendTo(row); return; }
            var button = $('<button type="button" class="red-ui-button red-ui-button-small iot-ai-sidebar-rollback">').text(t("rollback"))
                .attr("title", t("rollbackTip", { version: version })).appendTo(row);
            if (!canWrite()) { button.prop("disabled", true).attr("title", t("notAllowed")); }
            button.on("click", function () { rollback(config, version, button); });
        });
    }

    function renderModel(config) {
        var box = $('<div class="iot-ai-sidebar-model">').attr("data-id", config.id).toggleClass("iot-ai-sidebar-folded", !!folded[config.id]);
        var header = $('<div class="iot-ai-sidebar-model-header">').appendTo(box);
        $('<i class="fa fa-angle-down iot-ai-sidebar-fold">').appendTo(header);
        $('<span class="iot-ai-sidebar-model-label">').text(config.label).appendTo(header);
        header.on("click", function () { folded[config.id] = !folded[config.id]; box.toggleClass("iot-ai-sidebar-folded", folded[config.id]); });
        var body = $('<div class="iot-ai-sidebar-model-body">').appendTo(box);
        var m = config.model;
        if (config.error) { $('<div class="iot-ai-sidebar-error">').text(m ? t("reloadFailed", { error: config.error }) : t("noModel", { error: config.error })).appendTo(body); }
        if (!m) { return box; }
        $('<div class="iot-ai-sidebar-model-title">').text(t("model", { name: m.name, version: m.version, task: m.task })).appendTo(body);
        $('<div class="iot-ai-sidebar-note">').text(t("created", { createdAt: m.createdAt })).appendTo(body);
        var features = $('<div class="iot-ai-sidebar-features">').appendTo(body);
        var whole = wholeFeatures[config.id] || m.featureNames.length <= SHOWN_FEATURES;
        features.text(t("features", { count: m.featureNames.length }) + (whole ? m.featureNames.join(", ") : m.featureNames.slice(0, SHOWN_FEATURES).join(", ") + ", …"));
        if (!whole) {
            $('<a href="#" style="margin-left: 4px;">').text(t("showAll")).appendTo(features).on("click", function (e) {
                e.preventDefault();
                wholeFeatures[config.id] = true;
                features.text(t("features", { count: m.featureNames.length }) + m.featureNames.join(", "));
            });
        }
        if (m.labels) { $('<div class="iot-ai-sidebar-labels">').text(t("labels") + m.labels.join(", ")).appendTo(body); }
        renderMetrics(body, m);
        renderImportances(body, m.importances);
        renderDrift(body, config.predictors || []);
        renderVersions(body, config);
        return box;
    }

    /** Reads the models again (`anew`: their versions too). */
    function refresh(anew) {
        if (anew) { versionsRead = {}; }
        var ticket = ++asked;
        $.getJSON("iot-ai/models/deployed").done(function (answer) {
            if (ticket !== asked) { return; }
            list.empty();
            if (answer.models.length === 0) { $('<div class="iot-ai-sidebar-note iot-ai-sidebar-empty">').text(t("empty")).appendTo(list); }
            answer.models.forEach(function (config) { list.append(renderModel(config)); });
            updated.text(t("updated", { time: new Date().toLocaleTimeString() }));
        }).fail(function (xhr) {
            if (ticket !== asked) { return; }
            list.empty().append($('<div class="iot-ai-sidebar-error">').text(t("unavailable", { error: (xhr.responseJSON && xhr.responseJSON.error) || xhr.statusText || xhr.status })));
        });
    }

    /** Live counts and drift while the tab is showing; nothing is asked while it is hidden. */
    function poll() {
        clearTimeout(timer);
        timer = setTimeout(function () {
            if (content.is(":visible")) { refresh(); poll(); } else { timer = null; }
        }, REFRESH_MS);
    }

    RED.sidebar.addTab({
        id: TAB,
        label: t("label"),
        name: t("name"),
        iconClass: "fa fa-line-chart",
        content: content,
        enableOnEdit: true,
        onchange: function () { refresh(true); poll(); }
    });
    RED.events.on("deploy", function () { versionsRead = {}; if (content.is(":visible")) { refresh(true); poll(); } });
})();

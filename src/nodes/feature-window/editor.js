(function () {
    var NUMBER_FIELDS = ["size", "slide", "gap", "lateness", "maxJump", "idleTimeout", "maxKeys", "spectralPoints", "fftCoefficients"];
    var CORE = IotAiEditor.core.window; // from src/core/window (the build writes it)
    var SPECTRAL = CORE.spectral;
    var EDGE = new RegExp(SPECTRAL.bandEdgePattern);
    /** Whether the node (or the dialog, while open) has a spectral feature selected: only then are its settings shown. */
    function hasSpectral(node) {
        var features = $("#iot-ai-window-features").length > 0 && $("#iot-ai-window-features input").length > 0
            ? $("#iot-ai-window-features input:checked").map(function () { return $(this).val(); }).get()
            : node.features;
        return Array.isArray(features) && features.some(function (f) { return SPECTRAL.features.indexOf(f) !== -1; });
    }
    var V = IotAiEditor.valid;
    var say = IotAiEditor.say;
    var positive = V.number({ blank: false, above: 0 });
    var nonNegative = V.number({ min: 0 });
    IotAiEditor.register("feature-window", {
        numbers: NUMBER_FIELDS,
        color: "#A6BBCF",
        defaults: {
            window: { value: "tumbling", validate: V.choice(CORE.kinds) },
            size: { value: 60, validate: function (v, opt) {
                var result = positive.call(this, v, opt);
                if (result !== true) { return result; }
                return this.unit === "count" && !Number.isInteger(Number(v)) ? say(this, "feature-window.validation.countSize") : true;
            } },
            slide: { value: 10, validate: function (v, opt) { // two arguments: a returned text is the reason it is invalid
                if (this.window !== "sliding") { return true; }
                var result = positive.call(this, v, opt);
                if (result !== true) { return result; }
                if (this.unit === "count" && !Number.isInteger(Number(v))) { return say(this, "feature-window.validation.countSize"); }
                return Number(this.size) / Number(v) > CORE.limits.windowsPerReading ? this._("feature-window.errors.windowsPerReading") : true;
            } },
            gap: { value: 30, validate: function (v, opt) { return this.window !== "session" ? true : positive.call(this, v, opt); } },
            unit: { value: "s", validate: function (v, opt) {
                var result = V.choice(CORE.units).call(this, v, opt);
                if (result !== true) { return result; }
                return this.window === "session" && v === "count" ? say(this, "feature-window.validation.sessionCount") : true;
            } },
            time: { value: "event", validate: V.choice(CORE.timeModes) },
            lateness: { value: 0, validate: nonNegative },
            maxJump: { value: CORE.maxJump, validate: nonNegative },
            idleTimeout: { value: 0, validate: nonNegative },
            sensors: { value: "" },
            features: { value: CORE.defaultFeatures.slice(), validate: function (v, opt) {
                return Array.isArray(v) && v.length > 0 ? true : say(this, "feature-window.validation.features");
            } },
            timeZone: { value: "UTC", validate: function (v, opt) { // blank: UTC; a name this browser knows as a zone
                if (v === undefined || String(v).trim() === "") { return true; }
                try { new Intl.DateTimeFormat("en-US", { timeZone: String(v).trim() }); return true; } catch (e) { return say(this, "feature-window.validation.timeZone"); }
            } },
            minCount: { value: 0, validate: function (v, opt) {
                if (v === "" || v === undefined) { return true; }
                if (typeof v === "string" && v.trim().charAt(0) === "{") {
                    var counts;
                    try { counts = JSON.parse(v); } catch (e) { return say(this, "iotAi.validation.json", { error: e.message }); }
                    var bad = Object.keys(counts).filter(function (k) { return !(Number.isInteger(Number(counts[k])) && Number(counts[k]) >= 0); });
                    return bad.length === 0 ? true : say(this, "feature-window.validation.minCountSensor", { sensor: bad[0] });
                }
                return isFinite(Number(v)) && Number(v) >= 0 && Number.isInteger(Number(v)) ? true : say(this, "feature-window.validation.minCount");
            } },
            fill: { value: "none", validate: V.choice(CORE.fillModes) },
            maxKeys: { value: CORE.maxKeys, validate: V.number({ integer: true, min: 1, max: CORE.limits.maxKeys }) },
            persist: { value: "" },
            output: { value: "each", validate: V.choice(CORE.outputs) },
            bands: { value: SPECTRAL.bands, validate: function (v, opt) { // as core's readBands: "low-high, ..." in Hz
                if (v === undefined || String(v).trim() === "") { return true; } // blank: the default bands
                var items = String(v).split(/[,;\s]+/).filter(function (item) { return item !== ""; });
                for (var i = 0; i < items.length; i++) {
                    var pair = items[i].split("-");
                    if (pair.length !== 2 || !EDGE.test(pair[0]) || !EDGE.test(pair[1]) || !(Number(pair[1]) > Number(pair[0]))) {
                        return say(this, "feature-window.validation.band", { band: items[i] });
                    }
                }
                return items.length <= SPECTRAL.limits.maxBands ? true : say(this, "feature-window.validation.bands", { max: SPECTRAL.limits.maxBands });
            } },
            spectralPoints: { value: SPECTRAL.points, validate: function (v, opt) {
                if (v === "" || v === undefined) { return true; } // blank: the default
                var n = Number(v);
                var ok = Number.isInteger(n) && n >= SPECTRAL.limits.minPoints && n <= SPECTRAL.limits.maxPoints && (n & (n - 1)) === 0;
                return ok ? true : say(this, "feature-window.validation.spectralPoints", { min: SPECTRAL.limits.minPoints, max: SPECTRAL.limits.maxPoints });
            } },
            fftCoefficients: { value: SPECTRAL.coefficients, validate: function (v, opt) {
                if (v === "" || v === undefined) { return true; }
                var points = Number(this.spectralPoints) || SPECTRAL.points;
                var max = Math.max(1, Math.min(SPECTRAL.limits.maxCoefficients, points / 2 - 1));
                var n = Number(v);
                return Number.isInteger(n) && n >= 1 && n <= max ? true : say(this, "feature-window.validation.fftCoefficients", { max: max });
            } }
        },
        inputs: 1,
        outputs: 2,
        icon: "iot-ai-window.svg",
        paletteLabel: "window",
        label: function () {
            if (this.name) { return this.name; }
            var unit = this.unit === "count" ? " readings" : this.unit;
            if (this.window === "sliding") { return "sliding " + this.size + unit + " / " + this.slide + unit; }
            if (this.window === "session") { return "session, gap " + this.gap + unit; }
            return "tumbling " + this.size + unit;
        },
        outputLabels: function (i) { return this._(i === 0 ? "feature-window.outputs.features" : "feature-window.outputs.rejects"); },
        oneditprepare: function () {
            var node = this;
            var box = $("#iot-ai-window-features");
            var selected = Array.isArray(node.features) ? node.features : [];
            CORE.features.forEach(function (f) {
                var id = "iot-ai-window-feature-" + f;
                $('<label style="display: block; width: auto; margin: 0"></label>')
                    .append($('<input type="checkbox" style="width: auto; margin: 0 4px 0 0; vertical-align: middle">').attr("id", id).attr("value", f).prop("checked", selected.indexOf(f) !== -1))
                    .append($("<span>").text(f))
                    .appendTo(box);
            });
            IotAiEditor.persistStores(node, "#node-input-persist", "feature-window.persist.off");
            function refresh() {
                var kind = $("#node-input-window").val();
                var unit = $("#node-input-unit").val();
                $(".iot-ai-window-slide").toggle(kind === "sliding");
                $(".iot-ai-window-gap").toggle(kind === "session");
                $(".iot-ai-window-time").toggle(unit !== "count");
                $(".iot-ai-window-event").toggle(unit !== "count" && $("#node-input-time").val() === "event");
                $(".iot-ai-unit-label").text(unit === "count" ? node._("feature-window.unit.readings") : unit);
                $(".iot-ai-window-spectral").toggle(hasSpectral(node));
            }
            $("#node-input-window, #node-input-unit, #node-input-time").on("change", refresh);
            box.on("change", "input", refresh);
            refresh();
            IotAiEditor.validation.live(node, {
                read: { features: function () { return $("#iot-ai-window-features input:checked").map(function () { return $(this).val(); }).get(); } },
                field: { features: "#iot-ai-window-features" }
            });
        },
        oneditsave: function () {
            var features = [];
            $("#iot-ai-window-features input:checked").each(function () { features.push($(this).val()); });
            this.features = features;
        }
    });
})();

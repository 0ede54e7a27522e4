// The page the harness loads once per view: validates the definition with Splunk's preset-based schema, then renders
// it with @splunk/dashboard-core, every search-type data source answered from the view's fixtures. The runner
// (run.js) sets window.__DASHBOARD_CASE__ = {definition, fixtures} before this script runs and reads
// window.__HARNESS__ back.
import React from 'react';
import { createRoot } from 'react-dom/client';
import DashboardCore from '@splunk/dashboard-core';
import { DashboardContextProvider } from '@splunk/dashboard-context';
import EnterpriseViewOnlyPreset from '@splunk/dashboard-presets/EnterpriseViewOnlyPreset';
import CloudViewOnlyPreset from '@splunk/dashboard-presets/CloudViewOnlyPreset';
import EnterprisePreset from '@splunk/dashboard-presets/EnterprisePreset';
import SplunkThemeProvider from '@splunk/themes/SplunkThemeProvider';
import { DashboardValidator } from '@splunk/dashboard-validation';
import { createSchemaBasedOnPresets } from '@splunk/dashboard-definition';
import { migrateToTabsLayout } from '@splunk/dashboard-utils';
import { fixtureDataSourceFor } from './FixtureDataSource';

const harness = { schemaErrors: {}, renderValidationErrors: [], rendered: false };
window.__HARNESS__ = harness;
window.__FIXTURE_REQUESTS__ = [];
const { definition } = window.__DASHBOARD_CASE__;

// 1. Splunk's schema built from the presets the views run under (view and edit mode): checks every
//    visualization's and input's options and every data-source type and option, not only the structure.
// (The npm CloudViewOnlyPreset is not Splunk Cloud Platform's Dashboard Studio: it has no ds.chain or
// ds.savedSearch, so it is not a target; Splunk Cloud Platform runs the Enterprise one.)
for (const [name, preset] of [['enterprise view', EnterpriseViewOnlyPreset], ['enterprise edit', EnterprisePreset]]) {
    const validator = new DashboardValidator();
    validator.setSchema(createSchemaBasedOnPresets(preset));
    // Legacy layout.structure definitions are what Splunk stores; the schema wants the tabbed form.
    const errors = validator.validate(migrateToTabsLayout({ definition: JSON.parse(JSON.stringify(definition)) }).definition);
    if (errors && errors.length) {
        harness.schemaErrors[name] = errors;
    }
}

// 2. Render. The Enterprise time-range input needs splunkweb; the Cloud one renders without a server.
const preset = {
    ...EnterpriseViewOnlyPreset,
    inputs: { ...EnterpriseViewOnlyPreset.inputs, 'input.timerange': CloudViewOnlyPreset.inputs['input.timerange'] },
    dataSources: {
        ...EnterpriseViewOnlyPreset.dataSources,
        'ds.search': fixtureDataSourceFor(EnterpriseViewOnlyPreset.dataSources['ds.search']),
        'ds.chain': fixtureDataSourceFor(EnterpriseViewOnlyPreset.dataSources['ds.chain']),
        'ds.savedSearch': fixtureDataSourceFor(EnterpriseViewOnlyPreset.dataSources['ds.savedSearch']),
    },
};

createRoot(document.getElementById('root')).render(
    <SplunkThemeProvider family="enterprise" colorScheme="light" density="comfortable">
        <DashboardContextProvider preset={preset} initialDefinition={definition}>
            <DashboardCore
                width="100%"
                height="auto"
                onValidationError={(errors) => harness.renderValidationErrors.push(errors)}
            />
        </DashboardContextProvider>
    </SplunkThemeProvider>
);
harness.rendered = true;

// 3. What each visualization shows, read from the DOM: 'ok', 'pending' (nothing drawn yet) or 'error' with reasons.
const CHARTS = new Set(['splunk.line', 'splunk.area', 'splunk.column', 'splunk.bar', 'splunk.pie', 'splunk.scatter',
    'splunk.bubble']);
window.__inspectVisualizations__ = () => {
    const report = {};
    for (const [id, viz] of Object.entries(definition.visualizations || {})) {
        const el = document.querySelector(`[data-test="viz-item"][data-id="${id}"]`);
        if (!el) {
            report[id] = { type: viz.type, state: 'pending', detail: 'not in the page' };
            continue;
        }
        const problems = [];
        el.querySelectorAll('[aria-label]').forEach((node) => {
            const label = node.getAttribute('aria-label');
            if (label === 'Error' || label === 'Warning') problems.push(`status icon: ${label}`);
        });
        for (const marker of ['viz-waiting-for-input', 'message', 'icon-placeholder', 'placeholder-icon', 'viz-error']) {
            const node = el.querySelector(`[data-test="${marker}"]`);
            if (node) problems.push(`${marker}: ${(node.textContent || '').trim().slice(0, 200) || '(no text)'}`);
        }
        let content = 0;
        let series;
        if (CHARTS.has(viz.type)) {
            content = el.querySelectorAll('.highcharts-series .highcharts-point, .highcharts-series path.highcharts-graph').length;
            series = seriesTops(el);
        } else if (viz.type === 'splunk.table') {
            content = el.querySelectorAll('[data-test="row"]').length;
        } else if (viz.type === 'splunk.singlevalue') {
            const major = el.querySelector('[data-test="majorValue"]');
            const text = major ? major.textContent.trim() : '';
            if (text === 'N/A') problems.push('single value shows N/A');
            content = text && text !== 'N/A' ? 1 : 0;
        } else if (viz.type === 'splunk.markdown') {
            content = (el.textContent || '').trim().length;
        } else {
            content = el.querySelectorAll('svg, canvas, [data-test="row"]').length;
        }
        const box = el.getBoundingClientRect();
        report[id] = {
            type: viz.type,
            box: [Math.round(box.x), Math.round(box.y), Math.round(box.width), Math.round(box.height)],
            state: problems.length ? 'error' : content > 0 ? 'ok' : 'pending',
            detail: problems.join('; '),
            content,
            ...(series ? { series } : {}),
        };
    }
    return report;
};

// Where each series of a chart is drawn highest: {name (from the legend, else "series <n>"): the smallest SVG y of
// its columns' tops or its line's vertices, in the plot area's coordinates (smaller is higher)}.
function seriesTops(el) {
    const names = {};
    el.querySelectorAll('.highcharts-legend-item').forEach((item) => {
        const index = /highcharts-series-(\d+)/.exec(item.getAttribute('class') || '');
        if (index) names[index[1]] = item.textContent.trim();
    });
    const tops = {};
    el.querySelectorAll('g.highcharts-series').forEach((group) => {
        const index = (/highcharts-series-(\d+)/.exec(group.getAttribute('class') || '') || [])[1];
        const ys = [];
        group.querySelectorAll('rect.highcharts-point').forEach((rect) => {
            if (Number(rect.getAttribute('height')) > 0) ys.push(Number(rect.getAttribute('y')));
        });
        group.querySelectorAll('path.highcharts-graph').forEach((path) => {
            const numbers = (path.getAttribute('d') || '').match(/-?\d+(?:\.\d+)?/g) || [];
            for (let i = 1; i < numbers.length; i += 2) ys.push(Number(numbers[i]));
        });
        if (index !== undefined && ys.length) tops[names[index] || `series ${index}`] = Math.min(...ys);
    });
    return tops;
}

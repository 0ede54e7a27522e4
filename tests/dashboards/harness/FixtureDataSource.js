// Stands in for ds.search, ds.chain and ds.savedSearch: each data source gets the fixture stored under its id in
// the definition (window.__DASHBOARD_CASE__.fixtures), so the shipped definition renders unchanged.
import DataSource from '@splunk/datasources/DataSource';
import { DataSet } from '@splunk/datasource-utils';

class FixtureDataSource extends DataSource {
    request() {
        const id = this.context && this.context.id;
        return (observer) => {
            const fixtures = window.__DASHBOARD_CASE__.fixtures;
            const fixture = fixtures[id];
            window.__FIXTURE_REQUESTS__.push(id);
            if (!fixture) {
                observer.error({ level: 'error', message: `no fixture for data source ${id}` });
                return () => {};
            }
            const rows = fixture.rows.map((row) => Object.fromEntries(fixture.fields.map((f, i) => [f, row[i]])));
            observer.next({
                data: DataSet.fromJSONArray(fixture.fields.map((name) => ({ name })), rows),
                meta: { status: 'done', percentComplete: 100, totalCount: rows.length, isPreviewData: false },
            });
            observer.complete();
            return () => {};
        };
    }
}

// The framework reads chaining rules (isChainEnabled, extendableByDataSourceTypes) and option schemas from static
// properties of the class registered for a type: the stand-in keeps those of the class it replaces.
export function fixtureDataSourceFor(Real) {
    class Fixture extends FixtureDataSource {}
    for (const key of Object.getOwnPropertyNames(Real)) {
        if (!['length', 'name', 'prototype'].includes(key)) {
            Object.defineProperty(Fixture, key, Object.getOwnPropertyDescriptor(Real, key));
        }
    }
    return Fixture;
}

"""Each input table's columns, declared once as data: type, unit, default, bounds, meaning.

`data.py` validates against these declarations and the Excel template (report/excel.py) is
written from them. Kinds: ``id`` (lower-case snake_case), ``id*`` (an id or ``*`` for all),
``text``, ``float``, ``int``, ``bool`` and ``choice``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

INF = float("inf")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    description: str
    required: bool = True
    default: object = None
    lo: float = -INF
    hi: float = INF
    choices: tuple[str, ...] = ()

    @property
    def unit(self) -> str:
        suffixes = [s for s in UNITS if f"_{self.name}".endswith(s)]
        return UNITS[max(suffixes, key=len)] if suffixes else ""   # _eur_per_t, not _t

    @property
    def bounds(self) -> tuple[float, float]:
        """The range a number in this column must lie in: its declared lo..hi within what its
        unit allows (MAGNITUDE), a calendar year for the year columns."""
        if self.name in YEAR_COLUMNS:
            return max(self.lo, YEARS[0]), min(self.hi, YEARS[1])
        limit = MAGNITUDE.get(self.unit, COUNT if self.kind == "int" else MULTIPLE)
        return max(self.lo, -limit), min(self.hi, limit)


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    optional: bool = False
    extra: tuple[Column, ...] = field(default=())

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


UNITS = {"_t": "t", "_eur_per_t": "EUR/t", "_eur_per_t_yr": "EUR/(t·yr)", "_t_per_yr": "t/yr",
         "_eur_per_unit": "EUR/unit", "_eur_per_unit_yr": "EUR/(unit·yr)", "_yr": "yr",
         "_eur": "EUR", "_ha_per_unit": "ha/unit", "_gwh_per_yr_per_unit": "GWh/(unit·yr)",
         "_fte_per_unit": "FTE/unit", "_t_per_t_output": "t/t", "_share": "fraction",
         "_share_per_yr": "fraction/yr"}

# The largest magnitude a number may have, by unit. The model counts money in million EUR
# (formulation/terms.py MONEY), so these keep every coefficient HiGHS sees at most 1e7 and every
# bound at most 1e8 t. Tonnages are the binding limit: HiGHS' feasibility tolerance is
# absolute (1e-7), and with 1e9 t bought at 1e8 EUR/t it called a feasible tiny study
# infeasible (1e8 t at 1e9 EUR/t solves). docs/data.md, "What is refused and why", lists them.
MAGNITUDE = {"EUR/t": 1e9, "EUR/(t·yr)": 1e9, "EUR/unit": 1e12, "EUR/(unit·yr)": 1e11,
             "EUR": 1e13, "t": 1e8, "t/yr": 1e8, "t/t": 1e3, "yr": 100.0, "ha/unit": 1e6,
             "GWh/(unit·yr)": 1e6, "FTE/unit": 1e6, "fraction": 1.0, "fraction/yr": 1.0}
MULTIPLE = 1e3      # a number without a unit: a premium, multiplier or score
COUNT = 1e6         # a whole number without a unit: units of a facility
YEARS = (1900, 2200)
YEAR_COLUMNS = ("year", "year_from", "year_to", "available_from")

STAGES = ("raw", "refined", "component", "scrap")
KINDS = ("mining", "refining", "manufacturing", "recycling")
SUBSTITUTE_KINDS = ("substitution", "efficiency", "lifetime")
EVENT_KINDS = ("supply", "demand")
NONNEG = 0.0



def provenance_column(table: str) -> str:
    """The optional column naming the SOURCES.md entries behind a row: `source`, except in
    sources.csv and source_capacity.csv, whose key column is already called `source`, where
    it is `source_ref`."""
    return "source_ref" if table in ("sources", "source_capacity") else "source"


def C(name, kind, description, **kw) -> Column:  # noqa: N802 - short constructor for the table
    return Column(name, kind, description, **kw)


MATERIAL_YEAR = (C("material", "id", "material id"), C("year", "int", "calendar year"))

TABLES: dict[str, Table] = {t.name: t for t in (
    Table("materials", "each material the model tracks", ("material",), (
        C("material", "id", "material id"),
        C("name", "text", "display name"),
        C("stage", "choice", "value-chain stage", choices=STAGES),
        C("shortage_cost_eur_per_t", "float", "damage of one tonne of unmet demand", lo=NONNEG),
        C("holding_cost_eur_per_t_yr", "float",
          "yearly cost (storage + capital) of one tonne of strategic-stock capacity", lo=NONNEG),
        C("stockpile_capex_eur_per_t", "float", "one-off cost of storage per tonne of new capacity",
          required=False, default=0.0, lo=NONNEG),
        C("initial_stock_t", "float", "stock held at the start of the horizon", required=False,
          default=0.0, lo=NONNEG),
        C("max_stock_t", "float", "most stock capacity allowed", required=False, default=INF,
          lo=NONNEG),
        C("eu_import_share", "float", "the EU's share of world imports: what it can obtain of "
          "the spare capacity of uncut suppliers while another supplier is cut",
          required=False, default=1.0, lo=0.0, hi=1.0),
    )),
    Table("demand", "EU demand that must be met or counted as shortfall", ("material", "year"), (
        *MATERIAL_YEAR,
        C("demand_t", "float", "EU demand in the year", lo=NONNEG),
    )),
    Table("countries", "every country that a source or facility names", ("country",), (
        C("country", "id", "country id"),
        C("name", "text", "display name"),
        C("eu", "bool", "EU member state"),
        C("governance", "float", "governance 0-10, higher = more stable (WGI-based)",
          required=False, default=5.0, lo=0.0, hi=10.0),
    )),
    Table("sources", "import options", ("source",), (
        C("source", "id", "source id"),
        C("material", "id", "material supplied"),
        C("country", "id", "supplying country"),
        C("price_eur_per_t", "float", "contract price", lo=NONNEG),
        C("capacity_t_per_yr", "float", "deliverable volume per year", lo=NONNEG),
        C("spot_premium", "float", "spot price as a multiple of the contract price",
          required=False, default=1.3, lo=NONNEG),
        C("eu_flow_t_per_yr", "float", "observed average volume shipped to the EU (latest "
          "three years); informational, read by backtests", required=False, lo=NONNEG),
        C("country_output_t_per_yr", "float", "the country's production of the material; the "
          "capacities of its sources may not sum above it", required=False, lo=NONNEG),
    )),
    Table("source_capacity", "a source's capacity over time: listed years override "
          "sources.csv, linear between them, the nearest listed value outside",
          ("source", "year"), (
        C("source", "id", "source id"),
        C("year", "int", "calendar year"),
        C("capacity_t_per_yr", "float", "deliverable volume in the year", lo=NONNEG),
        C("country_output_t_per_yr", "float", "the country's production of the material in "
          "the year", required=False, lo=NONNEG),
    ), optional=True),
    Table("facilities", "EU (or allied) investment options", ("facility",), (
        C("facility", "id", "facility id"),
        C("kind", "choice", "what it does", choices=KINDS),
        C("country", "id", "where it stands"),
        C("output", "id", "material it produces"),
        C("capacity_t_per_yr", "float", "output capacity of one unit", lo=NONNEG),
        C("capex_eur_per_unit", "float", "investment per unit built", lo=NONNEG),
        C("fixed_opex_eur_per_unit_yr", "float", "fixed cost per unit online and year", lo=NONNEG),
        C("variable_cost_eur_per_t", "float", "cost per tonne of output (inputs in recipes.csv "
          "are accounted separately)", lo=NONNEG),
        C("lead_time_yr", "int", "years from building to producing", lo=NONNEG),
        C("max_units", "int", "most new units built over the horizon", required=False, default=1,
          lo=NONNEG),
        C("existing_units", "int", "units online at the start", required=False, default=0,
          lo=NONNEG),
        C("available_from", "int", "earliest year a new unit may be built", required=False),
        C("land_ha_per_unit", "float", "land taken by one unit", required=False, default=0.0,
          lo=NONNEG),
        C("energy_gwh_per_yr_per_unit", "float", "energy used by one unit per year",
          required=False, default=0.0, lo=NONNEG),
        C("staff_fte_per_unit", "float", "staff of one unit", required=False, default=0.0,
          lo=NONNEG),
    )),
    Table("recipes", "inputs each facility consumes per tonne of its output",
          ("facility", "input"), (
        C("facility", "id", "facility id"),
        C("input", "id", "material consumed"),
        C("t_per_t_output", "float", "tonnes of input per tonne of output", lo=NONNEG),
    )),
    Table("scrap", "end-of-life material collectable in the EU", ("material", "year"), (
        *MATERIAL_YEAR,
        C("available_t", "float", "collectable tonnes", lo=NONNEG),
    )),
    Table("scenarios", "disruption scenarios", ("scenario",), (
        C("scenario", "id", "scenario id"),
        C("probability", "float", "probability; all sum to 1", lo=0.0, hi=1.0),
        C("description", "text", "what happens", required=False, default=""),
    )),
    Table("disruptions", "supply cuts per scenario, material, country and years",
          ("scenario", "material", "country", "year_from", "year_to"), (
        C("scenario", "id*", "scenario id, or * for the baseline regime of every scenario"),
        C("material", "id*", "material id or *"),
        C("country", "id*", "country id or *"),
        C("year_from", "int", "first year (inclusive)"),
        C("year_to", "int", "last year (inclusive)"),
        C("available_share", "float", "share of capacity and contracts still delivered",
          lo=0.0, hi=1.0),
        C("price_multiplier", "float", "spot price multiplier for the material",
          required=False, default=1.0, lo=NONNEG),
    )),
    Table("demand_shocks", "demand multipliers per scenario", (
        "scenario", "material", "year_from", "year_to"), (
        C("scenario", "id", "scenario id"),
        C("material", "id*", "material id or *"),
        C("year_from", "int", "first year (inclusive)"),
        C("year_to", "int", "last year (inclusive)"),
        C("multiplier", "float", "factor on demand", lo=NONNEG),
    ), optional=True),
    Table("events", "the event model scenarios are sampled from (study key `sample`): rows "
          "of one event id happen together", ("event", "material", "country"), (
        C("event", "id", "event id; its rows start together, with one severity draw"),
        C("kind", "choice", "supply: a cut and a price spike; demand: a demand multiplier",
          choices=EVENT_KINDS),
        C("material", "id*", "material id, or * (supply) for every material the country sells"),
        C("country", "id*", "supplying country (supply); * for demand events", required=False,
          default="*"),
        C("yearly_probability", "float", "chance the event starts in a year (same on every row "
          "of the event)", lo=0.0, hi=1.0),
        C("recorded_events", "int", "events of this kind recorded in the record window",
          required=False, lo=NONNEG),
        C("record_yr", "int", "years of the record the count comes from", required=False, lo=1),
        C("min_duration_yr", "int", "shortest duration", lo=1),
        C("max_duration_yr", "int", "longest duration", lo=1),
        C("min_available_share", "float", "most severe share still delivered", required=False,
          default=1.0, lo=0.0, hi=1.0),
        C("max_available_share", "float", "mildest share still delivered", required=False,
          default=1.0, lo=0.0, hi=1.0),
        C("min_price_multiplier", "float", "mildest spot price multiplier", required=False,
          default=1.0, lo=NONNEG),
        C("max_price_multiplier", "float", "most severe spot price multiplier", required=False,
          default=1.0, lo=NONNEG),
        C("min_demand_multiplier", "float", "lowest demand multiplier", required=False,
          default=1.0, lo=NONNEG),
        C("max_demand_multiplier", "float", "highest demand multiplier", required=False,
          default=1.0, lo=NONNEG),
    ), optional=True),
    Table("substitutes", "demand-side levers chosen by the model", ("option",), (
        C("option", "id", "option id"),
        C("material", "id", "material whose demand it avoids"),
        C("kind", "choice", "kind of lever", choices=SUBSTITUTE_KINDS),
        C("max_share", "float", "most of the demand it can avoid", lo=0.0, hi=1.0),
        C("cost_eur_per_t", "float", "cost per tonne of demand avoided", lo=NONNEG),
        C("capex_eur", "float", "one-off cost of adopting the option", required=False,
          default=0.0, lo=NONNEG),
        C("available_from", "int", "first year it can avoid demand", required=False),
        C("ramp_share_per_yr", "float", "most the avoided share may grow in a year",
          required=False, default=1.0, lo=0.0, hi=1.0),
    ), optional=True),
)}

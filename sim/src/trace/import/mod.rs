//! Importers: SWF, Alibaba GPU 2023, Alibaba 2017 batch tasks, generic CSV and JSON.
